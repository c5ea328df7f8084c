// esm-main.mjs: an ES module whose top level blocks, run with `npx greenstack examples/esm-main.mjs`.
//
// greenstack loads an ES module main without top-level await through
// require(esm), so its top level runs in the main fiber: it can call blocking
// functions directly, spawn fibers and join them.
import { execSync } from 'node:child_process';
import { spawn, joinAll, sleep } from 'greenstack';

const started = Date.now();
const fibers = ['a', 'b', 'c'].map((name, i) =>
  spawn(() => {
    sleep(50 * i);
    return execSync(`echo ${name}`, { encoding: 'utf8' }).trim();
  }),
);
joinAll(fibers); // blocks the main fiber, not the event loop
console.log(`joined ${fibers.map((f) => f.value).join(',')} at top level in ${Date.now() - started} ms`);
