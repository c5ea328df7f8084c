// backend.js: the fast (user-space) backend beside the carrier backend: switches, spawn, memory, fiber count, GC, self-check.
'use strict';
const path = require('node:path');
const { SCRIPT_PRELUDE, runFresh } = require('./_util.js');

const DIST = path.join(__dirname, '..', 'dist');
const prelude = `
${SCRIPT_PRELUDE}const g = require(DIST + '/index.js');
const { binding, backendStatus } = require(DIST + '/core/internal.js');
const { ensureStarted } = require(DIST + '/core/runtime.js');
const report = (o) => console.log(JSON.stringify({ ...o, backend: g.runtimeStats().backend, reason: backendStatus().reason }));
`;

// The hub resumes one fiber that suspends at once: one resume + one suspend per op.
const roundTrip = `${prelude}
ensureStarted();
const h = binding.newFiber(() => { for (;;) binding.suspend(); });
binding.resume(h);
for (let i = 0; i < 5000; i++) binding.resume(h);
const N = 5000, per = [];
for (let b = 0; b < 21; b++) { const t = now(); for (let i = 0; i < N; i++) binding.resume(h); per.push(Number(now() - t) / N / 1000); }
report({ median: median(per) });
`;

// 100 fibers, each suspended; the hub resumes them in turn (a different stack each time).
const inTurn = `${prelude}
ensureStarted();
const hs = [];
for (let k = 0; k < 100; k++) { const h = binding.newFiber(() => { for (;;) binding.suspend(); }); binding.resume(h); hs.push(h); }
for (let r = 0; r < 50; r++) for (const h of hs) binding.resume(h);
const R = 50, per = [];
for (let b = 0; b < 21; b++) { const t = now(); for (let r = 0; r < R; r++) for (const h of hs) binding.resume(h); per.push(Number(now() - t) / (R * hs.length) / 1000); }
report({ median: median(per) });
`;

// Public API: spawn a fiber that does nothing and join it, from a fiber (strands pooled).
const spawnJoin = `${prelude}
const N = 2000, noop = () => {};
g.spawn(() => {
  for (let i = 0; i < 1000; i++) g.spawn(noop).join();
  const per = [];
  for (let b = 0; b < 15; b++) { const t = now(); for (let i = 0; i < N; i++) g.spawn(noop).join(); per.push(Number(now() - t) / N / 1000); }
  report({ median: median(per) });
});
`;

// The backend's share of spawn + join: a native fiber record that runs to its end, strands pooled.
const rawSpawn = `${prelude}
ensureStarted();
const noop = () => {};
for (let i = 0; i < 2000; i++) binding.resume(binding.newFiber(noop));
const N = 2000, per = [];
for (let b = 0; b < 21; b++) { const t = now(); for (let i = 0; i < N; i++) binding.resume(binding.newFiber(noop)); per.push(Number(now() - t) / N / 1000); }
report({ median: median(per) });
`;

// RSS per idle fiber, each blocked in wait() 4 frames deep; kernel threads before and after.
const memory = (n) => `${prelude}
const fs = require('node:fs');
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
const threads = () => fs.readdirSync('/proc/self/task').length;
const never = new Promise(() => {});
function depth(k) { if (k > 0) return depth(k - 1) + 0; return g.wait(never); }
g.spawn(() => g.sleep(1));
setTimeout(() => {
  gc();
  const r0 = rss(), t0 = threads();
  for (let i = 0; i < ${n}; i++) g.spawn(depth, 4);
  setTimeout(() => {
    gc();
    report({ rssKiB: (rss() - r0) / ${n}, threads: threads() - t0, suspended: g.runtimeStats().suspended });
    process.exit(0);
  }, 500);
}, 50);
`;

// Suspends fibers until cap or the first error; the time taken bounds the run.
const count = (cap) => `${prelude}
const never = new Promise(() => {});
let n = 0, err = null;
const t = now();
try { for (; n < ${cap}; n++) g.spawn(() => g.wait(never)); } catch (e) { err = e; }
const spawnMs = Number(now() - t) / 1e6;
const wait = () => { if (g.runtimeStats().suspended < n && Number(now() - t) < 120e9) return setTimeout(wait, 50); 
  report({ n, suspended: g.runtimeStats().suspended, spawnMs, code: err && err.code, seconds: Number(now() - t) / 1e9 }); process.exit(0); };
setTimeout(wait, 50);
`;

// GC pauses with n suspended fibers each holding a stack-only object.
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
  // gc() is a full GC; gc({ type: 'major' }) is not one on V8 11.3.
  report({ full: timeIt(undefined), minor: timeIt({ type: 'minor', execution: 'sync' }), suspended: g.runtimeStats().suspended });
  process.exit(0);
}
`;

const selfCheck = `${prelude}
ensureStarted();
report({ ms: backendStatus().checkMs });
`;

const FAST = { GREENSTACK_BACKEND: 'fast' };
const CARRIER = { GREENSTACK_BACKEND: 'carrier' };

/** Median of a value over `times` fresh processes. */
function fresh(code, env, key, { times = 3, flags = [], timeout } = {}) {
  const runs = [];
  for (let i = 0; i < times; i++) runs.push(runFresh(code, { env, flags, timeout }));
  const vals = runs.map((r) => r[key]).sort((a, b) => a - b);
  return { ...runs[0], [key]: vals[vals.length >> 1], runs };
}

function fastNote(r, extra = '') {
  if (r.backend !== 'fast') return `FAST FELL BACK TO CARRIERS: ${r.reason}`;
  return extra;
}

async function run() {
  const rows = [];
  const row = (name, f, c, key, unit, target, note = '') =>
    rows.push({ name: `${name} (fast)`, value: f[key], unit, peer: 'carrier backend', peerValue: c[key], ratio: f[key] / c[key], target, note: fastNote(f, note) });

  row('yield+resume round trip', fresh(roundTrip, FAST, 'median'), fresh(roundTrip, CARRIER, 'median'), 'median', 'us', '<= 0.5');
  row('100 fibers resumed in turn, per resume', fresh(inTurn, FAST, 'median'), fresh(inTurn, CARRIER, 'median'), 'median', 'us', '<= 1.5');
  row('pooled spawn + join', fresh(spawnJoin, FAST, 'median'), fresh(spawnJoin, CARRIER, 'median'), 'median', 'us', '<= 1.5',
    'public API: Fiber, AsyncResource, hub queue');
  row('raw spawn + run to end (native record, pooled strand)', fresh(rawSpawn, FAST, 'median'), fresh(rawSpawn, CARRIER, 'median'), 'median', 'us', '',
    "the backend's share of spawn + join");
  const mf = fresh(memory(10000), FAST, 'rssKiB', { flags: ['--expose-gc'] });
  const mc = fresh(memory(10000), CARRIER, 'rssKiB', { flags: ['--expose-gc'], times: 1 });
  row('RSS per idle fiber at 10k', mf, mc, 'rssKiB', 'KiB', '<= 12, no kernel thread',
    `+${mf.threads} kernel threads for ${mf.suspended} fibers (carriers: +${mc.threads})`);
  const cf = runFresh(count(100000), { env: FAST, timeout: 300_000 });
  const cc = runFresh(count(100000), { env: CARRIER, timeout: 300_000 });
  rows.push({ name: 'suspended fibers, default sysctls (fast)', value: cf.suspended, unit: 'fibers', peer: 'carrier backend', peerValue: cc.suspended, ratio: cf.suspended / cc.suspended, target: '100,000',
    note: fastNote(cf, `${cf.code ? `stopped by ${cf.code}; ` : ''}spawned in ${(cf.spawnMs / 1000).toFixed(1)} s (carriers: ${cc.code ? `stopped by ${cc.code} ` : ''}in ${(cc.spawnMs / 1000).toFixed(1)} s)`) });
  const gf = runFresh(gcPause(10000), { env: FAST, flags: ['--expose-gc'] });
  const gc = runFresh(gcPause(10000), { env: CARRIER, flags: ['--expose-gc'] });
  const gcNote = fastNote(gf, `${gf.suspended} / ${gc.suspended} suspended when measured`);
  rows.push({ name: 'full GC pause, 10k suspended (fast)', value: gf.full, unit: 'ms', peer: 'carrier backend', peerValue: gc.full, ratio: gf.full / gc.full, note: gcNote });
  rows.push({ name: 'minor GC pause, 10k suspended (fast)', value: gf.minor, unit: 'ms', peer: 'carrier backend', peerValue: gc.minor, ratio: gf.minor / gc.minor, note: gcNote });
  const sc = fresh(selfCheck, FAST, 'ms');
  rows.push({ name: 'fast self-check at startup (once per thread)', value: sc.ms, unit: 'ms', note: fastNote(sc) });
  return rows;
}

module.exports = { run };
