// web.js: an unmodified Express app (static + json middleware, a handler doing readFileSync and execSync('sleep 0.05')) under the greenstack CLI and -r greenstack/patch, against plain node and against its async/await rewrite; req/s from autocannon.
//
// Each app runs in its own process on 127.0.0.1; autocannon runs in this process (it
// is otherwise idle). Rows are bounded: WEB_SECONDS (default 3) per run, one run each.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const autocannon = require('autocannon');

const FIX = path.join(__dirname, 'web-fixtures');
const CLI = path.join(__dirname, '..', 'bin', 'greenstack.js');
const PATCH = path.join(__dirname, '..', 'dist', 'patch', 'patch.js');
const CONNS = 50;
const SECONDS = Number(process.env.WEB_SECONDS || 3);

/** Starts an app process; resolves with it and its port (its first stdout line). */
function startApp(args) {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      proc.stdout.removeAllListeners('data');
      proc.stdout.resume();
      resolve({ proc, port: JSON.parse(buf.slice(0, nl)).port });
    });
    proc.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

/** req/s of one app under CONNS connections for SECONDS; throws on any failed or non-2xx response. */
async function rate(args) {
  const { proc, port } = await startApp(args);
  try {
    const r = await autocannon({ url: `http://127.0.0.1:${port}/work`, connections: CONNS, duration: SECONDS, timeout: 20 });
    const bad = r.errors + r.timeouts + r.non2xx;
    if (bad > 0) throw new Error(`${path.basename(args[args.length - 1])}: ${bad} failed of ${r.requests.total} (errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx})`);
    return r.requests.total / SECONDS;
  } finally {
    proc.kill('SIGKILL');
  }
}

async function run() {
  const blocking = path.join(FIX, 'express-blocking.js');
  const cli = await rate([CLI, blocking]);
  const preload = await rate(['-r', PATCH, blocking]);
  const plain = await rate([blocking]);
  const asyncRate = await rate([path.join(FIX, 'express-async.js')]);
  const name = `express ${CONNS} conns: static + json + readFileSync + execSync(sleep 0.05)`;
  return [
    { name: `${name}, greenstack CLI`, value: cli, unit: 'req/s', peer: 'the same app, plain node', peerValue: plain, ratio: cli / plain, target: '>= 10x' },
    { name: `${name}, greenstack CLI`, value: cli, unit: 'req/s', peer: 'async/await rewrite (readFile, await exec)', peerValue: asyncRate, ratio: cli / asyncRate, target: '>= 0.8x' },
    { name: `${name}, node -r greenstack/patch`, value: preload, unit: 'req/s', peer: 'the same app, plain node', peerValue: plain, ratio: preload / plain, target: '>= 10x' },
  ];
}

module.exports = { run };
