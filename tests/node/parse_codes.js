// Reads a JSON list of {side, data (latin1)} from stdin; prints, per vector, the code
// Node's HTTP parser reports for it (server: 'clientError'; client: the request's
// 'error'), or "ok". Loopback only; each vector gets its own connection.
'use strict';
const http = require('http');
const net = require('net');

function serverSide(data) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (code) => { if (!done) { done = true; server.close(); resolve(code); } };
    const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end()); });
    server.on('clientError', (err, socket) => { socket.destroy(); finish(err.code); });
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1', () => c.end(Buffer.from(data, 'latin1')));
      c.on('data', () => {});
      c.on('error', () => {});
      c.on('close', () => setTimeout(() => finish('ok'), 50));
    });
  });
}

function clientSide(data) {
  return new Promise((resolve) => {
    const server = net.createServer((s) => {
      s.once('data', () => s.end(Buffer.from(data, 'latin1')));
      s.on('error', () => {});
    });
    server.listen(0, '127.0.0.1', () => {
      let done = false;
      const finish = (code) => { if (!done) { done = true; server.close(); resolve(code); } };
      const req = http.get({ port: server.address().port, host: '127.0.0.1', agent: false }, (res) => {
        res.on('data', () => {});
        res.on('end', () => finish('ok'));
        res.on('error', () => {});
      });
      req.on('error', (err) => finish(err.code));
    });
  });
}

let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  const out = [];
  for (const v of JSON.parse(input)) out.push(await (v.side === 'server' ? serverSide(v.data) : clientSide(v.data)));
  console.log(JSON.stringify(out));
});
