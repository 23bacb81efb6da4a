// Server under test, node's side: the same handler and options as server.py.
//
//   node server.js tls|plain hello|big KEY CERT [KEEP_ALIVE_TIMEOUT_MS [WORKERS]]
//
// Prints its port once listening. Then reads commands on stdin, one a line:
// "stats" prints {"tls_connections": N, "resumed": N} as one JSON line; end of input
// exits (the harness never leaves a server behind). A keep-alive timeout of 0 keeps
// the default.
//
// With WORKERS > 1 it is Node's own way to use several cores: `cluster`, with its
// default scheduling; the primary prints the port once every worker listens and stops
// them when its input ends ("stats" is not answered then).
'use strict';
const cluster = require('cluster');
const fs = require('fs');
const readline = require('readline');

const [mode, bodyKind, keyFile, certFile, keepAliveTimeout, workers] = process.argv.slice(2);

if (cluster.isPrimary && Number(workers) > 1) {
  let listening = 0;
  cluster.on('listening', (worker, address) => {
    listening += 1;
    if (listening === Number(workers)) console.log(address.port);
  });
  for (let i = 0; i < Number(workers); i++) cluster.fork();
  process.stdin.resume();
  process.stdin.on('end', () => {
    // Exit once every worker is reaped, so that their CPU time counts as this process's.
    let running = Number(workers);
    cluster.on('exit', () => { if (--running === 0) process.exit(0); });
    for (const worker of Object.values(cluster.workers)) worker.kill();
  });
} else {
  serve();
}

function serve() {
  const body = bodyKind === 'big' ? Buffer.alloc(64 * 1024 * 1024, 'x') : 'hello world\n';
  const handler = (req, res) => res.end(body);

  const server = mode === 'tls'
    ? require('https').createServer(
      { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, handler)
    : require('http').createServer(handler);
  if (Number(keepAliveTimeout)) server.keepAliveTimeout = Number(keepAliveTimeout);

  const stats = { tls_connections: 0, resumed: 0 };
  server.on('secureConnection', (socket) => {
    stats.tls_connections += 1;
    if (socket.isSessionReused()) stats.resumed += 1;
  });

  if (cluster.isWorker) {
    server.listen(0, '127.0.0.1');  // in a cluster, every worker gets the same port
    return;
  }
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  readline.createInterface({ input: process.stdin })
    .on('line', (line) => { if (line === 'stats') console.log(JSON.stringify(stats)); })
    .on('close', () => process.exit(0));
}
