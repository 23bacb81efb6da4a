// Opens idle keep-alive TLS connections to a server, for its memory per connection.
//
//   node idle.js PORT CA_FILE CONNECTIONS PARALLEL
//
// Each connection does its handshake and one GET (read whole), then stays open and
// idle. At most PARALLEL connections are being set up at once. Prints {"ready": N} once
// all are idle; then on stdin "count" prints {"open": N} (connections not closed by the
// server); end of input exits, closing them all.
'use strict';
const fs = require('fs');
const readline = require('readline');
const tls = require('tls');

const [port, caFile, connectionsArg, parallelArg] = process.argv.slice(2);
const ca = fs.readFileSync(caFile);
const total = Number(connectionsArg);
const body = 'hello world\n';
let started = 0;
let ready = 0;
let open = 0;

function openOne() {
  started += 1;
  const socket = tls.connect({ host: '127.0.0.1', port: Number(port), ca, servername: 'localhost' });
  let received = '';
  let done = false;
  socket.setEncoding('latin1');
  socket.on('secureConnect', () => {
    open += 1;
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  });
  socket.on('data', (chunk) => {
    received += chunk;
    if (done || !received.endsWith(body)) return;
    done = true;
    ready += 1;
    if (started < total) openOne();
    else if (ready === total) console.log(JSON.stringify({ ready }));
  });
  socket.on('close', () => { open -= 1; });
  socket.on('error', (err) => { console.error(err.message); process.exit(1); });
}

for (let i = 0; i < Math.min(Number(parallelArg), total); i++) openOne();
readline.createInterface({ input: process.stdin })
  .on('line', (line) => { if (line === 'count') console.log(JSON.stringify({ open })); })
  .on('close', () => process.exit(0));
