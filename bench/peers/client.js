// Client under test, node's side: the same loops as client.py.
//
//   node client.js seq|newconn|conc cb|await URL CA_FILE REQUESTS [WORKERS]
//
// seq:     one keep-alive Agent, one warm-up GET, then REQUESTS GETs one after another;
// newconn: an Agent with keepAlive false (TLS session cache on, by default), one
//          warm-up GET, then REQUESTS GETs, each on a new connection;
// conc:    one keep-alive Agent with maxSockets WORKERS; a warm-up batch of WORKERS
//          concurrent GETs opens the pool, then WORKERS workers share REQUESTS GETs.
//
// Two forms of the same loop: "cb" is the classic one (https.get(url, options,
// callback), 'data'/'end' listeners, the next GET issued from 'end'); "await" wraps
// each GET in a Promise and awaits it. Each body is read whole. Prints one JSON line
// about the timed part: {"requests", "seconds", "cpu_seconds", "bytes"}.
'use strict';
const fs = require('fs');
const https = require('https');

const [mode, style, url, caFile, requestsArg, workersArg] = process.argv.slice(2);
const requests = Number(requestsArg);
const workers = Number(workersArg || 1);
const ca = fs.readFileSync(caFile);

function fetch(agent, onBody, onError) {
  https.get(url, { agent }, (res) => {
    let size = 0;
    res.on('data', (chunk) => { size += chunk.length; });
    res.on('end', () => onBody(size));
  }).on('error', onError);
}

function runCallbacks(agent, shares) {
  return new Promise((resolve, reject) => {
    let running = shares.length;
    let bytes = 0;
    const next = (left) => {
      if (left === 0) {
        running -= 1;
        if (running === 0) resolve(bytes);
        return;
      }
      fetch(agent, (size) => { bytes += size; next(left - 1); }, reject);
    };
    shares.forEach(next);
  });
}

async function runAwaits(agent, shares) {
  const get = () => new Promise((resolve, reject) => fetch(agent, resolve, reject));
  const worker = async (count) => {
    let size = 0;
    for (let i = 0; i < count; i++) size += await get();
    return size;
  };
  const sizes = await Promise.all(shares.map(worker));
  return sizes.reduce((a, b) => a + b, 0);
}

function makeAgent() {
  if (mode === 'newconn') return new https.Agent({ keepAlive: false, ca });
  const maxSockets = mode === 'conc' ? workers : Infinity;
  return new https.Agent({ keepAlive: true, maxSockets, ca });
}

async function main() {
  const run = style === 'cb' ? runCallbacks : runAwaits;
  const agent = makeAgent();
  const width = mode === 'conc' ? workers : 1;
  await run(agent, new Array(width).fill(1)); // warm-up
  const shares = Array.from({ length: width },
    (_, i) => Math.floor(requests / width) + (i < requests % width ? 1 : 0));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const bytes = await run(agent, shares);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  console.log(JSON.stringify({
    requests, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, bytes,
  }));
}

main().catch((err) => { console.error(err); process.exit(1); });
