// build-tool.js: a build script written in plain blocking style (readFileSync, gzipSync, writeFileSync, execSync), run with `npx greenstack examples/build-tool.js`.
//
// Under greenstack a blocking call parks only its fiber while libuv does the work
// (gzip on the threadpool, one job per CPU; quick fs calls run in place), so 32
// fibers keep the CPUs busy, and Node's event loop stays free: the heartbeat below
// keeps ticking. Under plain `node` the Pool line would throw (there are no
// fibers); replace it with the plain loop to compare.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { execSync } = require('child_process');
const { Pool, spawn, sleep } = require('greenstack');

const FILES = Number(process.argv[2] || 1000);

function mib(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

// Some source files to build (word soup: it compresses like code does).
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-build-'));
const src = path.join(root, 'src');
const out = path.join(root, 'out');
fs.mkdirSync(src);
fs.mkdirSync(out);
const words = 'const let function return if else for while import export from class new this await'.split(' ');
let inBytes = 0;
for (let i = 0; i < FILES; i++) {
  let text = '';
  while (text.length < 4096 + ((i * 7919) % 8192)) text += `${words[(i * 31 + text.length) % words.length]} ${text.length % 997}\n`;
  fs.writeFileSync(path.join(src, `module${i}.js`), text);
  inBytes += text.length;
}
const files = fs.readdirSync(src);

function buildOne(name) {
  const data = fs.readFileSync(path.join(src, name));
  const packed = zlib.gzipSync(data, { level: 9 });
  fs.writeFileSync(path.join(out, `${name}.gz`), packed);
  return packed.length;
}

// The event loop's heartbeat: how late does a fiber sleeping 10 ms at a time wake
// while we build? (A fiber of its own: callbacks the main fiber registered would
// wait until its synchronous code is done, as under node; see docs/patch-mode.md.)
let ticks = 0;
let worstLate = 0;
const heartbeat = spawn(() => {
  for (;;) {
    const before = Date.now();
    sleep(10);
    worstLate = Math.max(worstLate, Date.now() - before - 10);
    ticks++;
  }
});

console.log(`build-tool: ${files.length} source files (${mib(inBytes)}) in ${root}`);

// One unmeasured pass first: creating the output files and warming the JIT would
// otherwise be charged to whichever of the two timed builds ran first.
for (const name of files) buildOne(name);

let started = Date.now();
const sizes = new Pool(32).map(buildOne, files); // the one line that differs from a plain loop
const pooled = Date.now() - started;
const outBytes = sizes.reduce((a, b) => a + b, 0);
console.log(`  32 fibers: ${files.length} files, ${mib(inBytes)} -> ${mib(outBytes)} gzip in ${pooled} ms`);

started = Date.now();
for (const name of files) buildOne(name);
console.log(`  1 fiber, same blocking calls one after another: ${Date.now() - started} ms`);

started = Date.now();
const outputs = new Pool(8).map(() => execSync('uname -s', { encoding: 'utf8' }).trim(), Array.from({ length: 20 }, (_, i) => i));
console.log(`  execSync('uname -s') x 20, 8 at a time: ${[...new Set(outputs)].join(', ')} in ${Date.now() - started} ms`);

heartbeat.kill();
console.log(`  meanwhile a heartbeat fiber slept 10 ms ${ticks} times, never woken more than ${worstLate} ms late`);
fs.rmSync(root, { recursive: true, force: true });
