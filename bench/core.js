// core.js: the core runtime's costs: switch round trip, spawn+join, memory per fiber, fiber limit, GC pauses.
'use strict';
const path = require('node:path');
const { SCRIPT_PRELUDE, runFresh } = require('./_util.js');

const DIST = path.join(__dirname, '..', 'dist');
const prelude = `
${SCRIPT_PRELUDE}const g = require(DIST + '/index.js');
const { binding } = require(DIST + '/core/internal.js');
const { ensureStarted } = require(DIST + '/core/runtime.js');
`;

// Raw switch: the hub resumes a fiber that suspends at once (per-op samples).
const rawSwitch = `${prelude}
ensureStarted();
const h = binding.newFiber(() => { for (;;) binding.suspend(); });
binding.resume(h);
for (let i = 0; i < 2000; i++) binding.resume(h);
const samples = [];
for (let i = 0; i < 20000; i++) { const t = now(); binding.resume(h); samples.push(Number(now() - t) / 1000); }
console.log(JSON.stringify({ median: median(samples), p99: p99(samples) }));
`;

// The same through the public API: a fiber looping on sleep(0) (one hub turn each).
const apiSwitch = `${prelude}
const N = 2000, B = 15;
g.spawn(() => {
  for (let i = 0; i < 500; i++) g.sleep(0);
  const per = [];
  for (let b = 0; b < B; b++) { const t = now(); for (let i = 0; i < N; i++) g.sleep(0); per.push(Number(now() - t) / N / 1000); }
  console.log(JSON.stringify({ median: median(per) }));
});
`;

const awaitPeer = `${prelude}
(async () => {
  const N = 20000, B = 15, per = [];
  for (let b = 0; b < B; b++) { const t = now(); for (let i = 0; i < N; i++) await Promise.resolve(); per.push(Number(now() - t) / N / 1000); }
  console.log(JSON.stringify({ median: median(per) }));
})();
`;

const spawnJoin = `${prelude}
const N = 2000, B = 15;
const noop = () => {};
g.spawn(() => {
  for (let i = 0; i < 500; i++) g.spawn(noop).join();
  const per = [];
  for (let b = 0; b < B; b++) { const t = now(); for (let i = 0; i < N; i++) g.spawn(noop).join(); per.push(Number(now() - t) / N / 1000); }
  console.log(JSON.stringify({ median: median(per) }));
});
`;

const asyncSpawnPeer = `${prelude}
(async () => {
  const N = 20000, B = 15, per = [];
  const noop = async () => {};
  for (let b = 0; b < B; b++) { const t = now(); for (let i = 0; i < N; i++) await noop(); per.push(Number(now() - t) / N / 1000); }
  console.log(JSON.stringify({ median: median(per) }));
})();
`;

// RSS and MemAvailable drop per idle suspended fiber (each blocked in wait() a few frames deep).
const memory = (n) => `${prelude}
const fs = require('node:fs');
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
const avail = () => Number(/MemAvailable:\\s+(\\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))[1]);
const never = new Promise(() => {});
function depth(k) { if (k > 0) return depth(k - 1) + 0; return g.wait(never); }
// Warm up: one fiber, so the runtime's fixed costs are not counted per fiber.
const warm = g.spawn(() => g.sleep(1));
setTimeout(() => {
  if (global.gc) gc();
  const r0 = rss(), a0 = avail();
  const fibers = [];
  for (let i = 0; i < ${n}; i++) fibers.push(g.spawn(depth, 4));
  setTimeout(() => {
    if (global.gc) gc();
    const r1 = rss(), a1 = avail();
    const stats = g.runtimeStats();
    console.log(JSON.stringify({ rssKiB: (r1 - r0) / ${n}, availKiB: (a0 - a1) / ${n}, suspended: stats.suspended }));
    process.exit(0);
  }, 500);
}, 50);
`;

// How many fibers can be suspended at once with default sysctls, and the error beyond.
const limit = `${prelude}
const never = new Promise(() => {});
let n = 0, err = null;
try { for (;;) { g.spawn(() => g.wait(never)); n++; if (n >= 60000) break; } } catch (e) { err = e; }
setTimeout(() => {
  console.log(JSON.stringify({ n, suspended: g.runtimeStats().suspended, code: err && err.code, name: err && err.name }));
  process.exit(0);
}, 1000);
`;

// GC pauses with n suspended fibers each holding stack-only objects.
const gcPause = (n) => `${prelude}
const never = new Promise(() => {});
for (let i = 0; i < ${n}; i++) g.spawn(() => { const held = { i, a: [i, i + 1] }; g.wait(never); return held; });
// Measured once every fiber is suspended (carriers start theirs slowly: after a fixed
// 300 ms only about half of 10k were, which made carriers look 3-4x cheaper than fast).
const started = Date.now();
const ready = () => (g.runtimeStats().suspended >= ${n} || Date.now() - started > 60000 ? measure() : setTimeout(ready, 50));
setTimeout(ready, 50);
function measure() {
  const timeIt = (opts) => { const xs = []; for (let i = 0; i < 7; i++) { const t = now(); gc(opts); xs.push(Number(now() - t) / 1e6); } return median(xs); };
  const full = timeIt(undefined); // gc() is a full GC; gc({ type: 'major' }) is not one on V8 11.3
  const minor = timeIt({ type: 'minor', execution: 'sync' });
  console.log(JSON.stringify({ full, minor, suspended: g.runtimeStats().suspended }));
  process.exit(0);
}
`;

async function run() {
  const rows = [];
  const unpinned = { GREENSTACK_PIN: '0' };
  const peer = runFresh(awaitPeer);
  const raw = runFresh(rawSwitch);
  const rawFree = runFresh(rawSwitch, { env: unpinned });
  const api = runFresh(apiSwitch);
  rows.push({ name: 'switch round trip (resume+suspend), pinned', value: raw.median, unit: 'us', peer: 'await resolved promise', peerValue: peer.median, ratio: raw.median / peer.median, target: '<= 5 (stretch 2)', note: `p99 ${raw.p99.toFixed(1)} us` });
  rows.push({ name: 'switch round trip, GREENSTACK_PIN=0', value: rawFree.median, unit: 'us', peer: 'pinned', peerValue: raw.median, ratio: rawFree.median / raw.median, note: `p99 ${rawFree.p99.toFixed(1)} us` });
  rows.push({ name: 'sleep(0) round trip (switch + hub turn)', value: api.median, unit: 'us', peer: 'await resolved promise', peerValue: peer.median, ratio: api.median / peer.median });
  const sj = runFresh(spawnJoin);
  const asj = runFresh(asyncSpawnPeer);
  rows.push({ name: 'pooled spawn + join', value: sj.median, unit: 'us', peer: 'await async fn()', peerValue: asj.median, ratio: sj.median / asj.median, target: '<= 10' });
  const mem = runFresh(memory(10000), { flags: ['--expose-gc'] });
  rows.push({ name: 'RSS per idle suspended fiber at 10k', value: mem.rssKiB, unit: 'KiB', target: '<= 20', note: `${mem.suspended} suspended` });
  rows.push({ name: 'MemAvailable drop per fiber at 10k', value: mem.availKiB, unit: 'KiB', target: '<= 48' });
  const lim = runFresh(limit, { timeout: 600_000 });
  rows.push({ name: 'suspended fibers at the system limit', value: lim.n, unit: 'fibers', target: '>= 30,000', note: lim.code ? `then ${lim.name} ${lim.code}` : 'no limit hit' });
  const gc0 = runFresh(gcPause(0), { flags: ['--expose-gc'] });
  const gc10k = runFresh(gcPause(10000), { flags: ['--expose-gc'] });
  rows.push({ name: 'full GC pause, 0 / 10k suspended', value: gc10k.full, unit: 'ms', peer: '0 suspended', peerValue: gc0.full });
  rows.push({ name: 'minor GC pause, 0 / 10k suspended', value: gc10k.minor, unit: 'ms', peer: '0 suspended', peerValue: gc0.minor });
  // What each suspended fiber adds to a pause (V8 visits every archived thread).
  const perFiber = (k) => ((gc10k[k] - gc0[k]) * 1000) / 10000;
  rows.push({ name: 'full GC pause per suspended fiber (10k)', value: perFiber('full'), unit: 'us', target: '<= 1', note: 'V8 walks each archived thread: docs/benchmarks.md' });
  rows.push({ name: 'minor GC pause per suspended fiber (10k)', value: perFiber('minor'), unit: 'us', target: '<= 0.5' });
  return rows;
}

module.exports = { run };
