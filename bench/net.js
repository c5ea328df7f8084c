// net.js: greenstack/net and http benchmarks: echo msgs/s (StreamServer vs node:net), HTTP req/s with a 10 ms upstream (blocking style vs async/await vs plain node), memory per idle connection.
//
// Every server, load client and upstream runs in its own process on 127.0.0.1, so no
// two share a hub or an event loop; each pair is measured in the same run,
// alternating, and the median is reported. Load: bench/net-fixtures/echo-client.js
// (100 connections ping-ponging 64-byte messages) and wrk (-t1 -c100), or a Node
// client if wrk is missing.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const { median, onJsonLines } = require('./_util.js');

const FIX = path.join(__dirname, 'net-fixtures');
const CLI = path.join(__dirname, '..', 'bin', 'greenstack.js');
const ECHO_CONNS = 100;
const ECHO_SIZE = 64;
const ECHO_SECONDS = 2;
const HTTP_CONNS = 100;
const HTTP_SECONDS = 3;
const IDLE = 10_000;

const live = new Set();

/** Starts a node process running a fixture; resolves with its first JSON line (its port). */
function start(args, env = {}) {
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  const lines = [];
  const waiters = [];
  onJsonLines(proc.stdout, (value) => {
    lines.push(value);
    while (waiters.length > 0 && lines.length > 0) waiters.shift()(lines.shift());
  });
  const next = (ms = 60_000) =>
    new Promise((resolve, reject) => {
      if (lines.length > 0) return resolve(lines.shift());
      const timer = setTimeout(() => reject(new Error(`no output from ${args.join(' ')}`)), ms);
      waiters.push((v) => {
        clearTimeout(timer);
        resolve(v);
      });
      proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    });
  return { proc, next, stop: () => proc.kill('SIGKILL') };
}

async function echoRun(server, env = {}) {
  const s = start(server, env);
  try {
    const { port } = await s.next();
    const c = start([path.join(FIX, 'echo-client.js'), port, ECHO_CONNS, ECHO_SIZE, ECHO_SECONDS]);
    try {
      return (await c.next()).rate;
    } finally {
      c.stop();
    }
  } finally {
    s.stop();
  }
}

const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
const hasCurl = spawnSync('curl', ['--version']).error === undefined;

function load(port, seconds = HTTP_SECONDS) {
  return new Promise((resolve, reject) => {
    if (hasWrk) {
      const p = spawn('wrk', ['-t1', `-c${HTTP_CONNS}`, `-d${seconds}s`, '--timeout', '20s', `http://127.0.0.1:${port}/`]);
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('exit', (code, signal) => {
        const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
        if (rate === null) return reject(new Error(`wrk exited ${code ?? signal}: ${out}`));
        const bad = /Non-2xx or 3xx responses: (\d+)/.exec(out);
        if (bad !== null) return reject(new Error(`wrk: ${bad[1]} failed responses`));
        // A server that died mid-run (or refused connections) is no measurement.
        const sockErr = /Socket errors: .*/.exec(out);
        if (sockErr !== null) return reject(new Error(`wrk: ${sockErr[0]}`));
        resolve(Number(rate[1]));
      });
    } else {
      const c = start([path.join(FIX, 'http-client.js'), port, HTTP_CONNS, seconds]);
      c.next(seconds * 1000 + 30_000).then((r) => resolve(r.rate), reject);
    }
  });
}

// One request, answered once the server has worked off what is queued before it.
function settled(port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.setTimeout(120_000, () => req.destroy(new Error('the server did not answer in 120 s')));
    req.on('error', reject);
  });
}

async function httpRun(args, env) {
  process.stderr.write(`bench/net: http ${args.map((a) => path.basename(a)).join(' ')}\n`);
  const s = start(args, env);
  try {
    const { port } = await s.next();
    await load(port, 1).catch(() => {}); // warm-up (JIT, upstream keep-alive pool), discarded
    // The warm-up client's last requests are still queued in a server that blocks per
    // request (plain node): measured behind them, that server finished none in the window.
    await settled(port);
    return await load(port);
  } finally {
    s.stop();
  }
}

async function idleRun(kind) {
  const s = start(['--expose-gc', path.join(FIX, 'idle-server.js'), kind]);
  try {
    const { port } = await s.next();
    s.proc.stdin.write('rss\n');
    const before = await s.next();
    const c = start([path.join(FIX, 'idle-client.js'), port, IDLE]);
    try {
      await c.next(120_000);
      for (;;) {
        s.proc.stdin.write('rss\n');
        const now = await s.next();
        if (now.connections >= IDLE) return (now.rss - before.rss) / IDLE;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      c.stop();
    }
  } finally {
    s.stop();
  }
}

// One section's failure (a crashed server, wrk errors) becomes a row saying so.
async function section(rows, name, fn) {
  try {
    await fn();
  } catch (err) {
    rows.push({ name, value: NaN, unit: '', note: `FAILED: ${String((err && err.message) || err).split('\n')[0].slice(0, 160)}` });
  } finally {
    for (const p of live) p.kill('SIGKILL');
  }
}

async function run() {
  const rows = [];
  await section(rows, 'echo', async () => {
    // Alternate the servers, 3 runs each: greenstack on each backend, node:net.
    const gsCarrier = [];
    const gsFast = [];
    const node = [];
    for (let i = 0; i < 3; i++) {
      gsCarrier.push(await echoRun([path.join(FIX, 'echo-server-gs.js')], { GREENSTACK_BACKEND: 'carrier' }));
      gsFast.push(await echoRun([path.join(FIX, 'echo-server-gs.js')], { GREENSTACK_BACKEND: 'fast' }));
      node.push(await echoRun([path.join(FIX, 'echo-server-node.js')]));
    }
    rows.push({
      name: `echo ${ECHO_CONNS} conns x ${ECHO_SIZE} B: StreamServer readSync/writeSync, GREENSTACK_BACKEND=carrier`,
      value: median(gsCarrier),
      unit: 'msgs/s',
      peer: 'node:net echo server',
      peerValue: median(node),
      ratio: median(gsCarrier) / median(node),
      target: '>= 0.9x',
      note: 'a thread handoff per message',
    });
    rows.push({
      name: `echo ${ECHO_CONNS} conns x ${ECHO_SIZE} B: the same, GREENSTACK_BACKEND=fast (auto's choice here)`,
      value: median(gsFast),
      unit: 'msgs/s',
      peer: 'node:net echo server',
      peerValue: median(node),
      ratio: median(gsFast) / median(node),
      target: '>= 0.9x',
    });
  });

  const up = start([path.join(FIX, 'upstream.js')]);
  live.delete(up.proc); // lives across the http sections
  try {
    const env = { UPSTREAM_PORT: String((await up.next()).port) };
    await section(rows, 'http, wait(fetch())', async () => {
      // --no-wasm-code-gc: greenstack sets it when its first fiber starts (V8 cannot
      // collect WebAssembly code, fetch's parser, with threads archived: core/runtime.ts).
      // Given to the async peer too, so both servers run with the same V8 flags.
      const noWasmGc = '--no-wasm-code-gc';
      const blocking = [];
      const asyncRate = [];
      for (let i = 0; i < 2; i++) {
        blocking.push(await httpRun([noWasmGc, CLI, path.join(FIX, 'http-blocking.js')], env));
        asyncRate.push(await httpRun([noWasmGc, path.join(FIX, 'http-async.js')], env));
      }
      rows.push({
        name: `http ${HTTP_CONNS} conns: readFileSync + wait(fetch(10 ms upstream)), greenstack CLI`,
        value: median(blocking),
        unit: 'req/s',
        peer: 'async/await rewrite (readFile, await fetch)',
        peerValue: median(asyncRate),
        ratio: median(blocking) / median(asyncRate),
        target: '>= 0.8x',
        note: hasWrk ? 'wrk -t1' : 'node load client (no wrk)',
      });
    });
    await section(rows, 'http, execFileSync(curl)', async () => {
      if (!hasCurl) throw new Error('needs curl');
      // Each request costs a curl process (about 17 ms of CPU here), so both servers
      // are bound by the 2 cores and the machine's noise moves them far: 2 runs each,
      // alternating, medians.
      const gsRuns = [];
      const plainRuns = [];
      const asyncRuns = [];
      for (let i = 0; i < 2; i++) {
        gsRuns.push(await httpRun([CLI, path.join(FIX, 'http-blocking-exec.js')], env));
        asyncRuns.push(await httpRun([path.join(FIX, 'http-async-exec.js')], env));
        plainRuns.push(await httpRun([path.join(FIX, 'http-blocking-exec.js')], env));
      }
      const gsExec = median(gsRuns);
      const plain = median(plainRuns);
      const asyncExec = median(asyncRuns);
      rows.push({
        name: `http ${HTTP_CONNS} conns: readFileSync + execFileSync(curl 10 ms upstream), greenstack CLI`,
        value: gsExec,
        unit: 'req/s',
        peer: 'the same file, unmodified, plain node',
        peerValue: plain,
        ratio: gsExec / plain,
        target: '>= 10x',
        note: 'a curl process per request bounds both (CPU)',
      });
      rows.push({
        name: `http ${HTTP_CONNS} conns: readFileSync + execFileSync(curl), greenstack CLI`,
        value: gsExec,
        unit: 'req/s',
        peer: 'async/await rewrite (readFile, await execFile)',
        peerValue: asyncExec,
        ratio: gsExec / asyncExec,
        target: '>= 0.8x',
      });
    });
  } finally {
    up.stop();
  }

  await section(rows, 'idle connections', async () => {
    const gsIdle = await idleRun('gs');
    const nodeIdle = await idleRun('node');
    rows.push({
      name: `${IDLE} idle connections: memory per connection (StreamServer, a fiber each)`,
      value: gsIdle / 1024,
      unit: 'KiB',
      peer: 'node:net server, callbacks',
      peerValue: nodeIdle / 1024,
      ratio: gsIdle / nodeIdle,
      target: 'report',
      note: 'RSS delta / connections',
    });
  });
  return rows;
}

module.exports = { run };

if (require.main === module) {
  run().then(
    (rows) => console.table(rows),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
