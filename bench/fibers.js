// fibers.js: greenstack/fibers: node-fibers' Fibonacci generator on run()/yield(), beside the raw switch it is built on.
'use strict';
const path = require('node:path');
const { SCRIPT_PRELUDE, runFresh } = require('./_util.js');

const DIST = path.join(__dirname, '..', 'dist');

// One fresh process measures everything with batches interleaved, so each figure sees
// the same machine state: the README's Fibonacci generator run() from the main stack
// and from inside a fiber (there each run() goes through the hub: two round trips), the
// raw native round trip (resume + suspend, no JS bookkeeping), and an ES generator.
const script = `
${SCRIPT_PRELUDE}const Fiber = require(DIST + '/compat/fibers.js');
const { binding } = require(DIST + '/core/internal.js');
const { ensureStarted } = require(DIST + '/core/runtime.js');
const N = 5000, BATCHES = 15;
// Microseconds per call of step(), over n calls.
const time = (n, step) => { const t = now(); for (let i = 0; i < n; i++) step(); return Number(now() - t) / n / 1000; };

function fibonacci() {
  return Fiber(() => {
    Fiber.yield(0);
    let prev = 0, curr = 1;
    for (;;) { Fiber.yield(curr); const tmp = prev + curr; prev = curr; curr = tmp; }
  });
}
function* fibGenerator() {
  yield 0;
  let prev = 0, curr = 1;
  for (;;) { yield curr; const tmp = prev + curr; prev = curr; curr = tmp; }
}

const samples = { raw: [], main: [], fiber: [], generator: [] };
ensureStarted();
const raw = binding.newFiber(() => { for (;;) binding.suspend(); });
const fromMain = fibonacci();
const gen = fibGenerator();
// Runs one batch of run() calls inside a fiber each time the main stack runs it.
const inFiber = Fiber(() => {
  const fib = fibonacci();
  for (let i = 0; i < 500; i++) fib.run();
  for (;;) { Fiber.yield(); samples.fiber.push(time(N, () => fib.run())); }
});
inFiber.run();
for (let i = 0; i < 500; i++) { binding.resume(raw); fromMain.run(); gen.next(); }
let check = 0;
for (let b = 0; b < BATCHES; b++) {
  samples.raw.push(time(N, () => binding.resume(raw)));
  samples.main.push(time(N, () => { check = fromMain.run(); }));
  samples.generator.push(time(N, () => gen.next()));
  inFiber.run();
}
if (!(check > 0)) throw new Error('the generator yielded ' + check);
const out = {};
for (const k of Object.keys(samples)) out[k] = median(samples[k]);
console.log(JSON.stringify(out));
// Suspended fibers are unwound by the runtime at exit.
process.exit(0);
`;

module.exports.run = async function run() {
  const us = runFresh(script);
  const perSecond = (x) => 1e6 / x;
  const raw = perSecond(us.raw);
  const main = perSecond(us.main);
  const fiber = perSecond(us.fiber);
  const generator = perSecond(us.generator);
  return [
    {
      name: 'Fibonacci run()/yield(), from the main stack',
      value: main,
      unit: 'yields/s',
      peer: 'raw switch round trips/s',
      peerValue: raw,
      ratio: main / raw,
      note: `${us.main.toFixed(2)} us a yield; raw ${us.raw.toFixed(2)} us`,
    },
    {
      name: 'Fibonacci run()/yield(), from inside a fiber',
      value: fiber,
      unit: 'yields/s',
      peer: 'raw switch round trips/s',
      peerValue: raw,
      ratio: fiber / raw,
      note: `${us.fiber.toFixed(2)} us a yield: run() goes via the hub, two round trips`,
    },
    {
      name: 'Fibonacci ES generator (function*), no stack switch',
      value: generator,
      unit: 'yields/s',
      peer: 'run()/yield() from the main stack',
      peerValue: main,
      ratio: generator / main,
      note: 'what code can move to when it can be rewritten',
    },
  ];
};
