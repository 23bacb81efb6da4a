// Server under test, node's side: the same handler and options as server.py.
//
//   node server.js tls|plain hello|big KEY CERT [KEEP_ALIVE_TIMEOUT_MS]
//
// Prints its port once listening. Then reads commands on stdin, one a line:
// "stats" prints {"tls_connections": N, "resumed": N} as one JSON line; end of input
// exits (the harness never leaves a server behind).
'use strict';
const fs = require('fs');
const readline = require('readline');

const [mode, bodyKind, keyFile, certFile, keepAliveTimeout] = process.argv.slice(2);
const body = bodyKind === 'big' ? Buffer.alloc(64 * 1024 * 1024, 'x') : 'hello world\n';
const handler = (req, res) => res.end(body);

const server = mode === 'tls'
  ? require('https').createServer(
    { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, handler)
  : require('http').createServer(handler);
if (keepAliveTimeout) server.keepAliveTimeout = Number(keepAliveTimeout);

const stats = { tls_connections: 0, resumed: 0 };
server.on('secureConnection', (socket) => {
  stats.tls_connections += 1;
  if (socket.isSessionReused()) stats.resumed += 1;
});

server.listen(0, '127.0.0.1', () => console.log(server.address().port));
readline.createInterface({ input: process.stdin })
  .on('line', (line) => { if (line === 'stats') console.log(JSON.stringify(stats)); })
  .on('close', () => process.exit(0));
