// web-10k.js: capacity rows: an HTTP keep-alive server holding 10,000 connections, 1,000 of them active (readFileSync of a small file + a 10 ms upstream fetch per request), blocking style under the greenstack CLI against its async/await rewrite under plain node: req/s, p99 latency, RSS, CPU and GC time of the server.
//
// Server, load client (bench/web-fixtures/keepalive-client.js, a closed loop on the
// active connections) and upstream (bench/net-fixtures/upstream.js) each run in their
// own process on 127.0.0.1. The two servers are measured in the same run, alternating
// (CLI, async, async, CLI), medians reported; the server's own counts (GC, CPU, RSS)
// come from bench/web-fixtures/keepalive-stats.js over the client's measured window.
// WEB10K_SECONDS (default 8) measured after a 3 s warm-up, WEB10K_ROUNDS (default 2)
// runs of each; WEB10K_TOTAL / WEB10K_ACTIVE change the connection counts and
// WEB10K_DEBUG=1 prints every run's figures to stderr.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { median, onJsonLines } = require('./_util.js');

const FIX = path.join(__dirname, 'web-fixtures');
const CLI = path.join(__dirname, '..', 'bin', 'greenstack.js');
const TOTAL = Number(process.env.WEB10K_TOTAL || 10_000);
const ACTIVE = Number(process.env.WEB10K_ACTIVE || 1_000);
const WARMUP = 3;
const SECONDS = Number(process.env.WEB10K_SECONDS || 8);
const ROUNDS = Number(process.env.WEB10K_ROUNDS || 2);
const BACKLOG = 2048; // what the fixtures pass to listen()

const live = new Set();
// Whatever ends this process (a throw included) ends the servers and clients it started.
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Starts a node process; next() resolves with its next JSON stdout line, rejects if it exits or times out. */
function start(argv, env = {}) {
  const args = argv.map(String);
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  live.add(proc);
  let exited = null;
  const lines = [];
  const waiters = [];
  proc.on('exit', (code, signal) => {
    live.delete(proc);
    exited = `${args.map((a) => path.basename(a)).join(' ')} exited with ${code ?? signal}`;
    for (const w of waiters.splice(0)) w.reject(new Error(exited));
  });
  onJsonLines(proc.stdout, (value) => {
    lines.push(value);
    while (waiters.length > 0 && lines.length > 0) waiters.shift().resolve(lines.shift());
  });
  const next = (ms) =>
    new Promise((resolve, reject) => {
      if (lines.length > 0) return resolve(lines.shift());
      if (exited !== null) return reject(new Error(exited));
      const w = {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`no output from ${path.basename(args[args.length - 1])} in ${ms} ms`));
      }, ms);
      waiters.push(w);
    });
  return { proc, next, send: (s) => proc.stdin.write(s), stop: () => proc.kill('SIGKILL') };
}

/** Resolves once the server has accepted n connections (polled; 20 s at most). */
async function accepted(server, n) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    server.send('conns\n');
    const { connections } = await server.next(10_000);
    if (connections >= n) return;
    if (Date.now() > deadline) throw new Error(`the server accepted ${connections} of ${n} connections in 20 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One measured run of one server: the client's rate and latencies, the server's stats over the measured window. */
async function measure(serverArgs, env) {
  const s = start(serverArgs, env);
  try {
    const { port } = await s.next(30_000);
    const c = start([path.join(FIX, 'keepalive-client.js'), port, TOTAL, ACTIVE, WARMUP, SECONDS]);
    try {
      for (;;) {
        const line = await c.next(30_000);
        if (line.phase !== 'batch') break; // {phase: 'connected'}
        await accepted(s, line.connections);
        c.send('go\n');
      }
      await c.next((WARMUP + 30) * 1000); // {phase: 'measure'}
      s.send('start\n');
      const result = await c.next((SECONDS + 30) * 1000);
      // Read at once, with all 10,000 connections still open and the last requests in flight.
      s.send('stats\n');
      const stats = await s.next(10_000);
      if (stats.connections < TOTAL) throw new Error(`server holds ${stats.connections} of ${TOTAL} connections`);
      return { ...result, server: stats };
    } finally {
      c.stop();
    }
  } finally {
    s.stop();
  }
}

function somaxconn() {
  try {
    return fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim();
  } catch {
    return '?';
  }
}

async function run() {
  const up = start([path.join(__dirname, 'net-fixtures', 'upstream.js')]);
  const cli = [];
  const rewrite = [];
  try {
    const env = { UPSTREAM_PORT: String((await up.next(30_000)).port) };
    const runCli = async () => cli.push(await measure([CLI, path.join(FIX, 'keepalive-blocking.js')], env));
    const runRewrite = async () => rewrite.push(await measure([path.join(FIX, 'keepalive-async.js')], env));
    // Alternate which goes first, so neither always meets the warmer machine.
    for (let i = 0; i < ROUNDS; i++) {
      if (i % 2 === 0) {
        await runCli();
        await runRewrite();
      } else {
        await runRewrite();
        await runCli();
      }
    }
  } finally {
    for (const p of live) p.kill('SIGKILL');
  }
  if (process.env.WEB10K_DEBUG) console.error(JSON.stringify({ cli, rewrite }, null, 1));

  const med = (runs, f) => median(runs.map(f));
  const rate = [med(cli, (r) => r.rate), med(rewrite, (r) => r.rate)];
  const p99 = [med(cli, (r) => r.p99), med(rewrite, (r) => r.p99)];
  const p50 = [med(cli, (r) => r.p50), med(rewrite, (r) => r.p50)];
  const rss = [med(cli, (r) => r.server.rss / 2 ** 20), med(rewrite, (r) => r.server.rss / 2 ** 20)];
  const gc = [med(cli, (r) => r.server.gcMs), med(rewrite, (r) => r.server.gcMs)];
  const gcCount = [med(cli, (r) => r.server.gcCount), med(rewrite, (r) => r.server.gcCount)];
  const gcMax = [med(cli, (r) => r.server.gcMaxMs), med(rewrite, (r) => r.server.gcMaxMs)];
  // Per request served in the window: what one more request/s costs a capacity plan.
  const cpuPerReq = [med(cli, (r) => (r.server.cpuMs * 1000) / r.server.requests), med(rewrite, (r) => (r.server.cpuMs * 1000) / r.server.requests)];
  const gcPerReq = [med(cli, (r) => (r.server.gcMs * 1000) / r.server.requests), med(rewrite, (r) => (r.server.gcMs * 1000) / r.server.requests)];
  const inFlight = [med(cli, (r) => r.server.maxInFlight), med(rewrite, (r) => r.server.maxInFlight)];
  // Each request in flight holds one suspended fiber; any more would be fibers leaking.
  const extraFibers = Math.max(...cli.map((r) => r.server.fibers.suspended - r.server.inFlight));
  const name = `http keep-alive ${TOTAL} conns, ${ACTIVE / 1000}k active: readFileSync + wait(fetch(10 ms upstream)), greenstack CLI`;
  const peer = 'async/await rewrite (await readFile, await fetch), plain node';
  return [
    {
      name,
      value: rate[0],
      unit: 'req/s',
      peer,
      peerValue: rate[1],
      ratio: rate[0] / rate[1],
      target: '>= 0.8x',
      note: `median of ${ROUNDS}, ${SECONDS} s each; server CPU ${Math.round(cpuPerReq[0])} / ${Math.round(cpuPerReq[1])} us a request; ${inFlight[0]} / ${inFlight[1]} in flight at most; backlog ${BACKLOG} (somaxconn ${somaxconn()})`,
    },
    {
      name: `${name}, p99 latency`,
      value: p99[0],
      unit: 'ms',
      peer,
      peerValue: p99[1],
      ratio: p99[1] / p99[0],
      target: '>= 0.8x',
      note: `ratio: rewrite p99 / CLI p99 (higher is better); p50 ${p50[0].toFixed(1)} / ${p50[1].toFixed(1)} ms`,
    },
    {
      name: `${name}, server RSS after the run`,
      value: rss[0],
      unit: 'MiB',
      peer,
      peerValue: rss[1],
      ratio: rss[0] / rss[1],
      target: 'report',
      note: `${TOTAL} connections open; suspended fibers beyond requests in flight: ${extraFibers}`,
    },
    {
      name: `${name}, server GC time in the measured window`,
      value: gc[0],
      unit: 'ms',
      peer,
      peerValue: gc[1],
      ratio: gc[0] / gc[1],
      target: 'report',
      note: `${Math.round(gcPerReq[0])} / ${Math.round(gcPerReq[1])} us a request; ${gcCount[0]} / ${gcCount[1]} GCs, longest ${gcMax[0].toFixed(1)} / ${gcMax[1].toFixed(1)} ms; each GC walks every suspended fiber's stack`,
    },
  ];
}

module.exports = { run };
