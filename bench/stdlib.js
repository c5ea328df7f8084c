// stdlib.js: a build-tool-like blocking script (5,000 files: readFileSync, gzipSync, writeFileSync; 20 execSync) run unmodified under node, under the greenstack CLI with a Pool of 32 (one line changed), and as an async/await rewrite; and event-loop lateness under many statSync fibers.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, runFresh, SCRIPT_PRELUDE } = require('./_util.js');

const FILES = Number(process.env.BENCH_STDLIB_FILES || 5000);
const RUNS = 3;
const root = path.join(__dirname, '..');
const cli = path.join(root, 'bin', 'greenstack.js');
const POOL_LINE = 'for (const name of files) buildOne(name); // POOL LINE';
const GREEN_LINE = "new (require('greenstack').Pool)(32).map(buildOne, files); // POOL LINE";

// Source files of 2-14 KiB of word soup: compresses about 3x, like source code.
function makeSources(dir) {
  const words = 'const let function return if else for while import export from class new this await async true false null undefined'.split(' ');
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < FILES; i++) {
    const size = 2048 + Math.floor(rand() * 12 * 1024);
    let text = '';
    while (text.length < size) text += `${words[Math.floor(rand() * words.length)]}${rand() < 0.1 ? '\n' : ' '}${Math.floor(rand() * 1000)} `;
    fs.writeFileSync(path.join(dir, `file${String(i).padStart(5, '0')}.js`), text);
  }
}

// clean: into an empty output dir (every output file is created); rebuild: over
// the outputs of the previous run (files rewritten in place).
function timeRun(args, out, clean) {
  if (clean || !fs.existsSync(out)) {
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out);
  }
  const started = process.hrtime.bigint();
  const stdout = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20, cwd: root });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const result = JSON.parse(stdout.trim().split('\n').pop());
  if (result.files !== FILES || result.bytes !== FILES) throw new Error(`bad run: ${stdout}`);
  return ms;
}

// Event-loop lateness while 1000 fibers each do 30 statSync (issue 15): the p99 of
// how late a 10 ms interval fires, per backend, median of RUNS fresh processes.
const LATENESS_FIBERS = Number(process.env.BENCH_LATENESS_FIBERS || 1000);

function latenessRows() {
  const script = path.join(__dirname, 'stdlib-build', 'lateness.js');
  const rows = [];
  for (const backend of ['carrier', 'fast']) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const stdout = execFileSync(process.execPath, [cli, script, String(LATENESS_FIBERS)], {
        encoding: 'utf8',
        cwd: root,
        env: { ...process.env, GREENSTACK_BACKEND: backend },
      });
      runs.push(JSON.parse(stdout.trim().split('\n').pop()));
    }
    rows.push({
      name: `event-loop lateness, ${LATENESS_FIBERS} fibers x 30 statSync (${backend} backend)`,
      value: median(runs.map((r) => r.p99)),
      unit: 'ms',
      target: '< 20 ms',
      note: `p99 of a 10 ms interval's lateness; median of ${RUNS} runs; max ${median(runs.map((r) => r.max)).toFixed(1)} ms`,
    });
  }
  return rows;
}

// What suspended fibers add to spawning a child: fork() copies the parent's mappings
// (fiber stacks are left out: native/fork_stacks.cc). Sequential execFile of
// /bin/true from the hub, per spawn; each backend with 0 and 1,000 suspended fibers.
const spawnCost = (fibers) => `${SCRIPT_PRELUDE}
const gs = require(DIST);
const cp = require('node:child_process');
const ev = new gs.Event();
let started = 0;
for (let i = 0; i < ${fibers}; i++) gs.spawn(() => { started++; ev.wait(); });
const times = [];
const one = () => {
  const t = now();
  cp.execFile('/bin/true', [], (err) => {
    if (err) throw err;
    times.push(Number(now() - t) / 1e6);
    if (times.length < 60) return one();
    ev.set();
    console.log(JSON.stringify({ ms: median(times.slice(10)), backend: gs.runtimeStats().backend }));
  });
};
const wait = () => (started < ${fibers} ? setTimeout(wait, 5) : one());
wait();
`;

function spawnRows() {
  return ['fast', 'carrier'].map((backend) => {
    const env = { GREENSTACK_BACKEND: backend };
    const none = runFresh(spawnCost(0), { env });
    const many = runFresh(spawnCost(1000), { env });
    return {
      name: `child spawn (execFile /bin/true) with 1,000 suspended fibers (${many.backend})`,
      value: many.ms,
      unit: 'ms',
      peer: 'no fiber alive',
      peerValue: none.ms,
      ratio: many.ms / none.ms,
      note: 'fork() copies what stacks it is not told to leave out',
    };
  });
}

async function run() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-bench-stdlib-'));
  try {
    const src = path.join(tmp, 'src');
    const out = path.join(tmp, 'out');
    fs.mkdirSync(src);
    makeSources(src);
    const plain = path.join(__dirname, 'stdlib-build', 'plain.js');
    const asyncRewrite = path.join(__dirname, 'stdlib-build', 'async.js');
    // The greenstack variant: plain.js with its loop line wrapped in a Pool. It
    // lives in the repo dir so require('greenstack') resolves to this package.
    const text = fs.readFileSync(plain, 'utf8');
    if (!text.includes(POOL_LINE)) throw new Error('plain.js lost its POOL LINE');
    const green = path.join(__dirname, 'stdlib-build', `.green-${process.pid}.js`);
    fs.writeFileSync(green, text.replace(POOL_LINE, GREEN_LINE));
    try {
      const rows = [];
      for (const clean of [true, false]) {
        const kind = clean ? 'clean build' : 'rebuild';
        const times = { plain: [], cli: [], green: [], async: [] };
        for (let i = 0; i < RUNS; i++) {
          // Interleaved, so drift (other load on the machine) hits all four alike.
          times.plain.push(timeRun([plain, src, out], out, clean));
          times.cli.push(timeRun([cli, plain, src, out], out, clean));
          times.green.push(timeRun([cli, green, src, out], out, clean));
          times.async.push(timeRun([asyncRewrite, src, out], out, clean));
        }
        const p = median(times.plain);
        const g = median(times.green);
        const a = median(times.async);
        rows.push(
          {
            name: `${kind}: unmodified script under node`,
            value: p,
            unit: 'ms',
            note: `${FILES} files + 20 execSync; median of ${RUNS}; wall time of the process`,
          },
          {
            name: `${kind}: unmodified script under the greenstack CLI`,
            value: median(times.cli),
            unit: 'ms',
            peer: 'unmodified under node',
            peerValue: p,
            ratio: median(times.cli) / p,
            target: '<= 1.2x',
            note: 'one fiber: zlib in place, fs in place; start-up included',
          },
          {
            name: `${kind}: same script under greenstack, Pool(32), 1 line changed`,
            value: g,
            unit: 'ms',
            peer: 'async/await rewrite, 32 in flight',
            peerValue: a,
            ratio: a / g,
            target: '>= 0.8x',
            note: 'ratio: async time / greenstack time (higher is better)',
          },
          {
            name: `${kind}: greenstack speed-up over unmodified`,
            value: p / g,
            unit: 'x',
            peer: 'unmodified under node',
            peerValue: p,
            ratio: p / g,
            note: clean ? 'creating files in one directory serializes in the kernel' : 'fs + gzip on the threadpool, 2 cores',
          },
        );
      }
      rows.push(...latenessRows());
      rows.push(...spawnRows());
      return rows;
    } finally {
      fs.rmSync(green, { force: true });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

module.exports = { run, latenessRows, spawnRows };

if (require.main === module) run().then((rows) => console.table(rows));
