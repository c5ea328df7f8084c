// toolkit.js: the cooperative toolkit's costs: Queue ping-pong (fibers vs async code), Pool.map per-task overhead.
'use strict';
const path = require('node:path');
const { SCRIPT_PRELUDE, median, runFresh } = require('./_util.js');

const DIST = path.join(__dirname, '..', 'dist');
const prelude = `
${SCRIPT_PRELUDE}const g = require(DIST + '/index.js');
const { binding } = require(DIST + '/core/internal.js');
const { ensureStarted } = require(DIST + '/core/runtime.js');
const us = (t0, n) => Number(now() - t0) / n / 1000;
`;

// Fiber handoffs, interleaved batch by batch in one process so every variant sees
// the same CPU placement (timings here are bimodal across processes):
// - queue: A puts on q1 and gets from q2, B echoes q1 -> q2; per hop = per message / 2
// - waiter: the same exchange on bare core Waiters (the floor the Queue builds on)
// - sleep0: one fiber's sleep(0): switch out, a hub turn, switch back in ("one switch round trip")
// - rawSame / rawAlt: native resume+suspend of one fiber, and of two fibers alternating
const handoffs = `${prelude}
ensureStarted();
const N = 2000, B = 11;
const h1 = binding.newFiber(() => { for (;;) binding.suspend(); });
const h2 = binding.newFiber(() => { for (;;) binding.suspend(); });
binding.resume(h1); binding.resume(h2);
const q1 = new g.Queue(), q2 = new g.Queue();
g.spawn(() => { for (;;) { const x = q1.get(); if (x < 0) return; q2.put(x); } });
let wA = null, wB = null;
g.spawn(() => { for (;;) { wB = new g.Waiter('b'); const x = wB.get(); if (x < 0) return; wA.switch(x); } });
g.spawn(() => {
  g.sleep(1);
  for (let i = 0; i < 500; i++) { q1.put(i); q2.get(); wA = new g.Waiter('a'); wB.switch(i); wA.get(); g.sleep(0); }
  const r = { queue: [], waiter: [], sleep0: [] };
  for (let b = 0; b < B; b++) {
    let t = now(); for (let i = 0; i < N; i++) { q1.put(i); q2.get(); } r.queue.push(us(t, 2 * N));
    t = now(); for (let i = 0; i < N; i++) { wA = new g.Waiter('a'); wB.switch(i); wA.get(); } r.waiter.push(us(t, 2 * N));
    t = now(); for (let i = 0; i < N; i++) g.sleep(0); r.sleep0.push(us(t, N));
  }
  q1.put(-1); wB.switch(-1);
  setImmediate(() => {
    const same = [], alt = [];
    for (let b = 0; b < B; b++) {
      let t = now(); for (let i = 0; i < N; i++) binding.resume(h1); same.push(us(t, N));
      t = now(); for (let i = 0; i < N / 2; i++) { binding.resume(h1); binding.resume(h2); } alt.push(us(t, N));
    }
    const backend = g.runtimeStats().backend || 'carrier';
    console.log(JSON.stringify({ queue: median(r.queue), waiter: median(r.waiter), sleep0: median(r.sleep0), rawSame: median(same), rawAlt: median(alt), fast: backend === 'fast' ? 1 : 0 }));
    process.exit(0);
  });
});
`;

// The same ping-pong between two async functions on greenstack's Queue (getAsync/putAsync).
const asyncTwinPingPong = `${prelude}
const q1 = new g.Queue(), q2 = new g.Queue();
const N = 20000, B = 9;
(async () => { for (;;) { const x = await q1.getAsync(); if (x < 0) return; q1.size; await q2.putAsync(x); } })();
(async () => {
  for (let i = 0; i < 2000; i++) { await q1.putAsync(i); await q2.getAsync(); }
  const per = [];
  for (let b = 0; b < B; b++) { const t = now(); for (let i = 0; i < N; i++) { await q1.putAsync(i); await q2.getAsync(); } per.push(us(t, N)); }
  await q1.putAsync(-1);
  console.log(JSON.stringify({ median: median(per) }));
})();
`;

// The peer: the same ping-pong between two async functions on a minimal promise queue.
const promisePingPong = `${prelude}
class PQ {
  constructor() { this.items = []; this.waiters = []; }
  put(x) { const w = this.waiters.shift(); if (w) w(x); else this.items.push(x); }
  get() { return this.items.length ? Promise.resolve(this.items.shift()) : new Promise((r) => this.waiters.push(r)); }
}
const q1 = new PQ(), q2 = new PQ();
const N = 20000, B = 9;
(async () => { for (;;) { const x = await q1.get(); if (x < 0) return; q2.put(x); } })();
(async () => {
  for (let i = 0; i < 2000; i++) { q1.put(i); await q2.get(); }
  const per = [];
  for (let b = 0; b < B; b++) { const t = now(); for (let i = 0; i < N; i++) { q1.put(i); await q2.get(); } per.push(us(t, N)); }
  q1.put(-1);
  console.log(JSON.stringify({ median: median(per) }));
})();
`;

// Pool(100).map over 100k tiny tasks, per task; beside it, the same number of bare
// fibers spawned 100 at a time and joined (what the pool machinery adds is the difference).
const TASKS = 100000;
const poolMap = `${prelude}
const pool = new g.Pool(100);
const items = Array.from({ length: ${TASKS} }, (_, i) => i);
const inc = (x) => x + 1;
g.spawn(() => {
  pool.map(inc, items.slice(0, 10000));
  const per = [], bare = [];
  for (let b = 0; b < 3; b++) {
    let t = now();
    const out = pool.map(inc, items);
    per.push(us(t, ${TASKS}));
    if (out.length !== ${TASKS} || out[${TASKS} - 1] !== ${TASKS}) throw new Error('bad result');
    t = now();
    for (let i = 0; i < ${TASKS}; i += 100) {
      const batch = [];
      for (let k = 0; k < 100; k++) batch.push(g.spawn(inc, i + k));
      g.joinAll(batch);
    }
    bare.push(us(t, ${TASKS}));
  }
  console.log(JSON.stringify({ median: median(per), bare: median(bare) }));
});
`;

// The peer: 100k tiny async tasks, at most 100 in flight (a p-limit style worker pool).
const asyncMap = `${prelude}
const items = Array.from({ length: ${TASKS} }, (_, i) => i);
const inc = async (x) => x + 1;
async function limitedMap(fn, xs, limit) {
  const out = new Array(xs.length);
  let next = 0;
  const worker = async () => { while (next < xs.length) { const i = next++; out[i] = await fn(xs[i]); } };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}
(async () => {
  await limitedMap(inc, items.slice(0, 10000), 100);
  const per = [];
  for (let b = 0; b < 5; b++) { const t = now(); await limitedMap(inc, items, 100); per.push(us(t, ${TASKS})); }
  console.log(JSON.stringify({ median: median(per) }));
})();
`;

// Handoff timings are bimodal on this VM (which CPU the pinned hub lands on): the
// median over a few fresh processes, field by field.
function fresh(code, times = 3, options) {
  const runs = Array.from({ length: times }, () => runFresh(code, options));
  const out = {};
  for (const key of Object.keys(runs[0])) out[key] = median(runs.map((r) => r[key]));
  return out;
}

async function run() {
  const rows = [];
  const h = fresh(handoffs);
  const hf = fresh(handoffs, 3, { env: { GREENSTACK_BACKEND: 'fast' } });
  const app = fresh(asyncTwinPingPong);
  const ppp = fresh(promisePingPong);
  rows.push({
    name: 'Queue ping-pong between 2 fibers, per message',
    value: 2 * h.queue,
    unit: 'us',
    peer: 'async fns on a promise queue',
    peerValue: ppp.median,
    ratio: (2 * h.queue) / ppp.median,
    note: 'a message is 2 hops: each fiber parks and is resumed once',
  });
  rows.push({
    name: 'Queue handoff per hop (message / 2)',
    value: h.queue,
    unit: 'us',
    peer: 'sleep(0) round trip (one switch round trip)',
    peerValue: h.sleep0,
    ratio: h.queue / h.sleep0,
    target: '<= 1.1x',
    note: `native: same fiber ${h.rawSame.toFixed(2)} us, 2 fibers alternating ${h.rawAlt.toFixed(2)} us (${(h.rawAlt / h.rawSame).toFixed(2)}x)`,
  });
  rows.push({
    name: 'Queue handoff per hop vs bare core Waiters',
    value: h.queue,
    unit: 'us',
    peer: 'Waiter ping-pong per hop (the floor)',
    peerValue: h.waiter,
    ratio: h.queue / h.waiter,
    note: 'what the Queue adds over the core handoff',
  });
  if (hf.fast === 1) {
    rows.push({
      name: 'Queue handoff per hop, GREENSTACK_BACKEND=fast',
      value: hf.queue,
      unit: 'us',
      peer: 'sleep(0) round trip, same backend',
      peerValue: hf.sleep0,
      ratio: hf.queue / hf.sleep0,
      target: '<= 1.1x',
      note: `bare Waiter hop ${hf.waiter.toFixed(2)} us; native: same fiber ${hf.rawSame.toFixed(2)}, alternating ${hf.rawAlt.toFixed(2)} us`,
    });
  }
  rows.push({
    name: 'Queue getAsync/putAsync ping-pong, 2 async fns',
    value: app.median,
    unit: 'us',
    peer: 'async fns on a promise queue',
    peerValue: ppp.median,
    ratio: app.median / ppp.median,
  });
  const pm = runFresh(poolMap, { timeout: 120_000 });
  const am = runFresh(asyncMap, { timeout: 120_000 });
  rows.push({
    name: `Pool(100).map over ${TASKS / 1000}k tiny tasks, per task`,
    value: pm.median,
    unit: 'us',
    peer: 'bare spawn x100 + joinAll, per fiber',
    peerValue: pm.bare,
    ratio: pm.median / pm.bare,
    note: `pool/map overhead ${(pm.median - pm.bare).toFixed(2)} us per task`,
  });
  rows.push({
    name: `async map, 100 in flight, ${TASKS / 1000}k tiny tasks, per task`,
    value: am.median,
    unit: 'us',
    peer: 'Pool(100).map per task',
    peerValue: pm.median,
    ratio: pm.median / am.median,
    note: 'ratio: Pool.map / async',
  });
  return rows;
}

module.exports = { run };

if (require.main === module) {
  run().then((rows) => console.table(rows));
}
