// core.exit.test.ts: process exit with fibers, unhandled fiber errors, fibers in worker threads.
import test from 'ava';
import { onCarriers } from './helpers/backend.js';
import { runFixture } from './helpers/subprocess.js';

test('a process whose loop empties while fibers are blocked exits normally', (t) => {
  const r = runFixture('exit.js', { args: ['loop-empties'] });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /last fiber done\nexit handler 0/);
});

// Thousands of parked fibers beside unref'd intervals (the user's, greenstack's idle
// watcher): the process lives exactly as long as the same program written with async
// functions does under node, on both backends. Woken fibers all finish; fibers nobody
// will wake are left parked at a normal exit, as pending async functions are.
for (const scenario of ['promise', 'event', 'sleep', 'never']) {
  test(`parked fibers and unref'd intervals end as under node: ${scenario}`, (t) => {
    const count = 2000;
    const rounds = 3;
    const run = (style: string, backend?: string) => {
      const env: Record<string, string> = backend === undefined ? {} : { GREENSTACK_BACKEND: backend };
      const r = runFixture('parked-exit.js', { args: [scenario, style, String(count), String(rounds)], env, timeout: 120_000 });
      t.is(r.status, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { code: number; done: number; parked?: number };
    };
    const node = run('async');
    t.is(node.done, scenario === 'never' ? 0 : count * rounds);
    for (const backend of ['carrier', 'fast']) {
      const fibers = run('fibers', backend);
      t.deepEqual({ code: fibers.code, done: fibers.done }, node, backend);
      t.is(fibers.parked, scenario === 'never' ? count : 0, backend);
    }
  });
}

test('process.exit() from a fiber keeps its code and runs exit handlers', (t) => {
  const r = runFixture('exit.js', { args: ['exit-from-fiber'] });
  t.is(r.status, 7, r.stderr);
  t.regex(r.stdout, /exit handler 7/);
});

test('process.exitCode set in a fiber is the exit code', (t) => {
  const r = runFixture('exit.js', { args: ['exitcode'] });
  t.is(r.status, 3, r.stderr);
});

test('an unobserved fiber error is reported like an unhandled rejection (default: throw)', (t) => {
  const r = runFixture('exit.js', { args: ['unhandled'] });
  t.is(r.status, 1);
  t.regex(r.stderr, /nobody joins me/);
  t.notRegex(r.stdout, /still running/);
});

test('--unhandled-rejections=warn: a warning, and the process goes on', (t) => {
  const r = runFixture('exit.js', { args: ['unhandled'], flags: ['--unhandled-rejections=warn'] });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /nobody joins me/);
  t.regex(r.stdout, /still running/);
});

test('--unhandled-rejections=none: silent', (t) => {
  const r = runFixture('exit.js', { args: ['unhandled'], flags: ['--unhandled-rejections=none'] });
  t.is(r.status, 0, r.stderr);
  t.notRegex(r.stderr, /nobody joins me/);
});

test('a fiber error observed by join() is not reported', (t) => {
  const r = runFixture('exit.js', { args: ['observed'] });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /joined: joined/);
  t.is(r.stderr, '');
});

test('an uncaught error in a timer callback crashes as in plain node, with fibers suspended', (t) => {
  const r = runFixture('exit.js', { args: ['uncaught-in-timer'] });
  t.is(r.status, 1);
  t.regex(r.stderr, /timer boom/);
});

test('fibers in worker threads: own hub each; terminate with fibers suspended; threads freed', (t) => {
  const r = runFixture('worker.js', { timeout: 120_000 });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.deepEqual(out.results.values, [2, 4, 6]);
  t.is(out.code, 1);
  t.is(out.exit3, 0);
  t.is(out.exit4, 9);
  t.is(out.mainValue, 'main ok');
  if (onCarriers()) t.true(out.during >= out.base + 100, 'the suspended worker held its carriers');
  t.true(out.after <= out.base, `threads leaked: ${out.after} now, ${out.base} before`);
});

test('fetch (WebAssembly inside undici) on the hub while a fiber is suspended does not abort V8', (t) => {
  const r = runFixture('wasm-gc.js', { args: ['3000'] });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /survived 3000/);
});
