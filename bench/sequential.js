// sequential.js: unmodified sequential code under the CLI vs plain node: per-call cost of statSync, existsSync, readFileSync, writeFileSync (page cache warm), and a walk of node_modules (readdirSync + statSync + readFileSync of each package.json).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median } = require('./_util.js');

const RUNS = 5;
const root = path.join(__dirname, '..');
const cli = path.join(root, 'bin', 'greenstack.js');

// One program, run as `node prog` and `greenstack prog`: times each phase in-process
// (so start-up is not counted) and prints microseconds per call and the walk's ms.
const program = `
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const file = path.join(dir, 'f.txt');
fs.writeFileSync(file, 'x'.repeat(4096));
const N = 20000;
const time = (fn, n) => { const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) fn(i); return Number(process.hrtime.bigint() - t) / 1e3 / n; };
time(() => fs.statSync(file), 2000); // warm-up
const r = {
  statSync: time(() => fs.statSync(file), N),
  existsSync: time(() => fs.existsSync(file), N),
  readFileSync: time(() => fs.readFileSync(file), N),
  writeFileSync: time((i) => fs.writeFileSync(path.join(dir, 'w' + (i & 15)), 'abc'), N / 4),
};
let files = 0;
const walk = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else { fs.statSync(p); files++; if (e.name === 'package.json') fs.readFileSync(p, 'utf8'); }
  }
};
walk(process.argv[3]); // warm-up
const t0 = process.hrtime.bigint();
files = 0;
walk(process.argv[3]);
r.walkMs = Number(process.hrtime.bigint() - t0) / 1e6;
r.files = files;
console.log(JSON.stringify(r));
`;

async function run() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-bench-seq-'));
  try {
    const prog = path.join(tmp, 'prog.js');
    fs.writeFileSync(prog, program);
    const modules = path.join(root, 'node_modules');
    const go = (args) => JSON.parse(execFileSync(process.execPath, [...args, prog, tmp, modules], { encoding: 'utf8' }).trim().split('\n').pop());
    const plain = [];
    const green = [];
    for (let i = 0; i < RUNS; i++) {
      plain.push(go([]));
      green.push(go([cli]));
    }
    const m = (list, k) => median(list.map((r) => r[k]));
    const rows = ['statSync', 'existsSync', 'readFileSync', 'writeFileSync'].map((k) => ({
      name: `${k} per call, CLI main fiber`,
      value: m(green, k),
      unit: 'us',
      peer: `node's ${k}`,
      peerValue: m(plain, k),
      ratio: m(green, k) / m(plain, k),
      target: '<= 1.2x',
    }));
    rows.push(...startupRows(tmp));
    rows.push({
      name: `walk node_modules (${m(plain, 'files')} files), CLI`,
      value: m(green, 'walkMs'),
      unit: 'ms',
      peer: 'plain node',
      peerValue: m(plain, 'walkMs'),
      ratio: m(green, 'walkMs') / m(plain, 'walkMs'),
      target: '<= 1.2x',
    });
    return rows;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// Start-up: the wall time of a whole process running an empty script, under the CLI
// and under -r greenstack/patch, each paired with plain node in turn (drift hits both).
const STARTS = 15;
function startupRows(tmp) {
  const empty = path.join(tmp, 'empty.js');
  fs.writeFileSync(empty, '');
  const wall = (args) => {
    const t = process.hrtime.bigint();
    execFileSync(process.execPath, [...args, empty]);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const ways = [
    ['CLI', [cli]],
    ['-r greenstack/patch', ['-r', path.join(root, 'dist', 'patch', 'patch.js')]],
  ];
  const plain = [];
  const times = ways.map(() => []);
  wall([]); // warm the page cache
  for (let i = 0; i < STARTS; i++) {
    plain.push(wall([]));
    ways.forEach(([, args], k) => times[k].push(wall(args)));
  }
  return ways.map(([label], k) => ({
    name: `start-up of an empty script, ${label}`,
    value: median(times[k]),
    unit: 'ms',
    peer: 'plain node',
    peerValue: median(plain),
    ratio: median(times[k]) / median(plain),
    note: `wall time of the whole process, median of ${STARTS}${label === 'CLI' ? '; includes the fast self-check' : ''}`,
  }));
}

module.exports = { run };
