// lateness.js: event-loop lateness under the greenstack CLI: N fibers each doing 30 statSync while a 10 ms interval measures how late it fires; prints JSON.
'use strict';
const fs = require('node:fs');
const { joinAll, spawn } = require('greenstack');

const FIBERS = Number(process.argv[2] || 1000);
const CALLS = 30;
const PERIOD = 10;
const late = [];
let last = performance.now();
const interval = setInterval(() => {
  const now = performance.now();
  late.push(Math.max(0, now - last - PERIOD));
  last = now;
}, PERIOD);
const started = performance.now();
const fibers = [];
for (let i = 0; i < FIBERS; i++) {
  fibers.push(spawn(() => {
    for (let j = 0; j < CALLS; j++) fs.statSync(__filename);
  }));
}
joinAll(fibers, { raiseError: true });
clearInterval(interval);
const sorted = [...late].sort((a, b) => a - b);
const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
console.log(JSON.stringify({ ticks: late.length, ms: performance.now() - started, p50: at(0.5), p99: at(0.99), max: at(1) }));
