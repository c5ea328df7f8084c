// fiber-profile.js: a per-fiber time profile from greenstack's diagnostics_channel events: `node examples/fiber-profile.js`.
//
// An APM tool does the same: subscribe to greenstack:spawn, greenstack:switch and
// greenstack:end, and charge the time between a switch into a fiber and the switch back
// out to that fiber. Three workers here: one computes, one mostly sleeps, one hashes
// files through greenstack/crypto and greenstack/fs (its time on the threadpool is
// waiting, not running).
'use strict';
const dc = require('node:diagnostics_channel');
const { performance } = require('node:perf_hooks');
const { Fiber, joinAll, sleep } = require('greenstack');
const fs = require('greenstack/fs');
const crypto = require('greenstack/crypto');

const profile = new Map(); // fiber -> { name, parent, switches, runMs, since, ranFrom }

dc.subscribe('greenstack:spawn', ({ fiber, parent }) => {
  profile.set(fiber, { name: fiber.name, parent: parent ? parent.name : 'hub', switches: 0, runMs: 0, lifeMs: 0, born: performance.now(), ranFrom: 0 });
});
dc.subscribe('greenstack:switch', ({ fiber, into }) => {
  const p = profile.get(fiber);
  if (p === undefined) return;
  if (into) {
    p.switches++;
    p.ranFrom = performance.now();
  } else {
    p.runMs += performance.now() - p.ranFrom;
  }
});
dc.subscribe('greenstack:end', ({ fiber }) => {
  const p = profile.get(fiber);
  if (p !== undefined) p.lifeMs = performance.now() - p.born;
});

function compute() {
  let x = 0;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 2e5; i++) x = (x * 31 + i) % 1000003;
    sleep(0); // let the others run
  }
  return x;
}

function idle() {
  for (let i = 0; i < 5; i++) sleep(20);
}

function hashFiles() {
  const dir = __dirname;
  let n = 0;
  for (const name of fs.readdirSync(dir)) {
    const data = fs.readFileSync(`${dir}/${name}`);
    crypto.pbkdf2Sync(data, 'salt', 2000, 32, 'sha256');
    n++;
  }
  return n;
}

const main = new Fiber(() => {
  const workers = [
    new Fiber(compute, { name: 'compute' }).start(),
    new Fiber(idle, { name: 'idle' }).start(),
    new Fiber(hashFiles, { name: 'hash-files' }).start(),
  ];
  joinAll(workers);
}, { name: 'main' });

// Subscribers are noticed from the next hub turn: start once the subscriptions are in.
setImmediate(() => main.start());
main.then(() => {
  console.log('fiber        parent  switches  running ms  alive ms  running %');
  for (const p of profile.values()) {
    const pct = p.lifeMs > 0 ? (100 * p.runMs) / p.lifeMs : 0;
    console.log(
      `${p.name.padEnd(12)} ${p.parent.padEnd(7)} ${String(p.switches).padStart(8)} ${p.runMs.toFixed(1).padStart(11)} ${p.lifeMs.toFixed(1).padStart(9)} ${pct.toFixed(0).padStart(9)}%`,
    );
  }
});
