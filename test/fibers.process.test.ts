// fibers.process.test.ts: greenstack/fibers in whole processes: child_process, process.exit, lost errors, the 'fibers' alias.
import * as path from 'node:path';
import test from 'ava';
import { checkLeaks } from './helpers/leaks.js';
import { fixturesDir, runFixture } from './helpers/subprocess.js';

checkLeaks(test);

const preload = path.join(fixturesDir, '..', '..', 'dist', 'compat', 'fibers-preload.js');

test.serial('child_process inside a Fiber: sync calls, waited-for children, a child that uses fibers (gh-20)', (t) => {
  const r = runFixture('fibers.js', { args: ['child-process'] });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'main goes on\npass 42 pass exit=3\n');
});

test.serial('process.exit() inside a Fiber: its code, exit handlers, nothing after it, with fibers suspended', (t) => {
  const r = runFixture('fibers.js', { args: ['exit'] });
  t.is(r.status, 5, r.stderr);
  t.is(r.stdout, 'pass\nexit handler 5\n');
});

test.serial('process.exit() from a Fiber nested in a Fiber in a spawn() fiber, after a sleep', (t) => {
  const r = runFixture('fibers.js', { args: ['exit-nested'] });
  t.is(r.status, 6, r.stderr);
  t.is(r.stdout, 'middle\nouter\ndeep\nexit handler 6\n');
});

test.serial('an error from a Fiber that the hub resumed (no run() to take it) is reported, not lost', (t) => {
  const r = runFixture('fibers.js', { args: ['orphan-error'] });
  t.is(r.status, 1);
  t.regex(r.stderr, /nobody runs me/);
  t.notRegex(r.stdout, /still running/);
});

test.serial("registerFibersAlias(): require('fibers') and 'fibers/future' give greenstack's, the README's sleep runs", (t) => {
  const r = runFixture('fibers.js', { args: ['alias-cjs'] });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'true true true\nwait...\nback in main\nok\n');
});

test.serial("the preload (node -r): an ES module's import of 'fibers' and 'fibers/future'", (t) => {
  const r = runFixture('fibers-alias.mjs', { flags: ['-r', preload] });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'true resolved\n');
});
