// preload-import.mjs: an ES module app made cooperative by `node --import greenstack/patch examples/preload-import.mjs`.
//
// Its named imports from node:fs and node:crypto are the patched functions
// (module.syncBuiltinESMExports keeps them in step), so in fibers they run on
// libuv's threadpool while the event loop keeps serving timers.
import { readFileSync } from 'node:fs';
import { pbkdf2Sync } from 'node:crypto';
import { spawn } from 'greenstack';

let ticks = 0;
const timer = setInterval(() => ticks++, 5);
const started = Date.now();
const keys = await Promise.all(
  ['alice', 'bob', 'carol', 'dave'].map((user) =>
    spawn(() => `${user}: ${pbkdf2Sync(user, readFileSync(new URL(import.meta.url)), 200_000, 16, 'sha512').toString('hex')}`),
  ),
);
clearInterval(timer);
for (const line of keys) console.log(line);
console.log(`4 x pbkdf2Sync(200k rounds) in ${Date.now() - started} ms; a 5 ms timer ticked ${ticks} times meanwhile`);
