// continuations.js: patch mode's cost per callback continued in a fiber (an emit to a listener a fiber registered, a setImmediate a fiber set), beside the same call left on the hub, and the emit hook's cost when no fiber registered anything.
'use strict';
const path = require('node:path');
const { SCRIPT_PRELUDE, median, runFresh } = require('./_util.js');

const N = Number(process.env.BENCH_CONTINUATIONS_N || 20000);
const RUNS = 5;
const patch = path.join(__dirname, '..', 'dist', 'patch', 'patch.js');

// Prints {emitFiber, emitHub, immediateFiber, immediateHub}: microseconds per call, from the hub.
const script = `${SCRIPT_PRELUDE}
const { EventEmitter } = require('node:events');
const { spawn } = require(DIST + '/index.js');
const N = ${N};
const mine = new EventEmitter();
const hubs = new EventEmitter();
let n = 0;
const listener = () => n++;
hubs.on('x', listener);
const f = spawn(() => mine.on('x', listener));
// The hub's rows first: the fiber rows leave N finished fibers for the GC.
setImmediate(() => {
  const r = {};
  let t = now();
  for (let i = 0; i < N; i++) hubs.emit('x');
  r.emitHub = Number(now() - t) / 1e3 / N;
  // setImmediate callbacks, timed from the first set to the last run: the hub's, then a fiber's.
  let left2 = N;
  const t2 = now();
  for (let i = 0; i < N; i++) setImmediate(() => { if (--left2 === 0) { r.immediateHub = Number(now() - t2) / 1e3 / N; fiberRounds(); } });
  function fiberRounds() {
    t = now();
    for (let i = 0; i < N; i++) mine.emit('x');
    r.emitFiber = Number(now() - t) / 1e3 / N;
    let left = N;
    t = now();
    spawn(() => { for (let i = 0; i < N; i++) setImmediate(() => { if (--left === 0) { r.immediateFiber = Number(now() - t) / 1e3 / N; console.log(JSON.stringify(r)); } }); });
  }
});
`;

async function run() {
  const patched = [];
  const plain = [];
  for (let i = 0; i < RUNS; i++) {
    patched.push(runFresh(script, { flags: ['-r', patch] }));
    plain.push(runFresh(script));
  }
  const m = (list, k) => median(list.map((r) => r[k]));
  return [
    {
      name: 'emit to a listener a fiber registered (run in a fiber), patch mode',
      value: m(patched, 'emitFiber'),
      unit: 'us/emit',
      peer: 'same emit, greenstack not patching',
      peerValue: m(plain, 'emitFiber'),
      ratio: m(patched, 'emitFiber') / m(plain, 'emitFiber'),
      note: 'the price of moving the listener into a fiber',
    },
    {
      name: 'emit to a listener registered on the hub, patch mode',
      value: m(patched, 'emitHub'),
      unit: 'us/emit',
      peer: 'same emit, greenstack not patching',
      peerValue: m(plain, 'emitHub'),
      ratio: m(patched, 'emitHub') / m(plain, 'emitHub'),
      target: 'near 1x',
      note: 'the emit hook alone',
    },
    {
      name: 'setImmediate set by a fiber (callback in a fiber), patch mode',
      value: m(patched, 'immediateFiber'),
      unit: 'us/callback',
      peer: 'same, greenstack not patching',
      peerValue: m(plain, 'immediateFiber'),
      ratio: m(patched, 'immediateFiber') / m(plain, 'immediateFiber'),
    },
    {
      name: 'setImmediate set on the hub, patch mode',
      value: m(patched, 'immediateHub'),
      unit: 'us/callback',
      peer: 'same, greenstack not patching',
      peerValue: m(plain, 'immediateHub'),
      ratio: m(patched, 'immediateHub') / m(plain, 'immediateHub'),
      target: 'near 1x',
    },
  ];
}

module.exports = { run };
