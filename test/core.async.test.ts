// core.async.test.ts: AsyncLocalStorage across switches, async_hooks scopes, hub-only rules, IO fairness.
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import * as fs from 'node:fs';
import test from 'ava';
import { AsyncScopeError, BlockingInHubError, Fiber, joinAll, sleep, spawn, Timeout, wait, Waiter } from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { runFixture } from './helpers/subprocess.js';

checkLeaks(test);

test.serial('AsyncLocalStorage: each fiber keeps its own store across switches', async (t) => {
  const als = new AsyncLocalStorage<string>();
  const seen: string[] = [];
  const fibers = ['a', 'b', 'c'].map((name) =>
    spawn(() =>
      als.run(name, () => {
        for (let i = 0; i < 3; i++) {
          sleep(1 + Math.floor(Math.random() * 3));
          seen.push(`${name}:${als.getStore()}`);
        }
        wait(Promise.resolve());
        return als.getStore();
      }),
    ),
  );
  t.deepEqual(await Promise.all(fibers), ['a', 'b', 'c']);
  for (const entry of seen) {
    const [name, store] = entry.split(':');
    t.is(store, name);
  }
  t.is(als.getStore(), undefined, 'the hub did not inherit a fiber store');
});

test.serial('AsyncLocalStorage: a fiber spawned inside run() inherits the store', async (t) => {
  const als = new AsyncLocalStorage<number>();
  const f = als.run(42, () => spawn(() => { sleep(1); return als.getStore(); }));
  t.is(await f, 42);
});

test.serial('blocking inside runInAsyncScope throws AsyncScopeError before switching', async (t) => {
  const resource = new AsyncResource('test');
  const r = await spawn(() => {
    try {
      resource.runInAsyncScope(() => sleep(1));
      return 'slept';
    } catch (err) {
      return err;
    }
  });
  t.true(r instanceof AsyncScopeError);
  t.is((r as AsyncScopeError).code, 'ERR_GREENSTACK_ASYNC_SCOPE');
  // The fiber can still block normally afterwards.
  t.is(await spawn(() => { sleep(1); return 'ok'; }), 'ok');
});

test.serial('every blocking call on the hub throws BlockingInHubError, never hangs', async (t) => {
  const f = spawn(() => sleep(5));
  const calls: Array<[string, () => unknown]> = [
    ['sleep', () => sleep(1)],
    ['sleep(0)', () => sleep(0)],
    ['wait', () => wait(Promise.resolve(1))],
    ['join', () => f.join()],
    ['get', () => f.get()],
    ['joinAll', () => joinAll([f])],
    ['Timeout.start', () => new Timeout(10).start()],
    ['Waiter', () => new Waiter()],
  ];
  for (const [name, call] of calls) {
    const err = t.throws(call, { instanceOf: BlockingInHubError }, name);
    t.is(err?.code, 'ERR_GREENSTACK_BLOCKING_IN_HUB');
    t.regex(err!.message, /inside a fiber/);
  }
  await f;
});

test.serial('sleep(0) lets every ready fiber run in turn and does not starve IO', async (t) => {
  const order: string[] = [];
  let ioDone = 0;
  let stop = false;
  const spinners = ['x', 'y'].map((name) =>
    spawn(() => {
      let turns = 0;
      while (!stop) {
        order.push(name);
        turns++;
        sleep(0);
      }
      return turns;
    }),
  );
  // Real IO and timers complete while the fibers spin.
  await new Promise<void>((resolve) => fs.readFile(__filename, () => { ioDone++; resolve(); }));
  // Timers fire meanwhile too: poll with one until both have had more than 10 turns.
  while (order.length <= 22) await new Promise((resolve) => setTimeout(resolve, 1));
  stop = true;
  const turns = await Promise.all(spinners);
  t.is(ioDone, 1);
  t.true(turns.every((n) => n > 10));
  // Strict alternation: each sleep(0) let the other fiber run once.
  for (let i = 1; i < order.length; i++) t.not(order[i], order[i - 1]);
});

test.serial('stack overflow in a fiber is a RangeError; stackSize changes the depth', async (t) => {
  const depthWith = (stackSize?: number) =>
    new Fiber(
      () => {
        let depth = 0;
        const recurse = (): number => {
          depth++;
          return recurse() + 1;
        };
        try {
          recurse();
        } catch (err) {
          return { depth, name: (err as Error).name };
        }
        return { depth, name: 'none' };
      },
      { stackSize },
    ).start();
  const small = await depthWith(256 * 1024);
  const big = await depthWith(4 * 1024 * 1024);
  t.is(small.name, 'RangeError');
  t.is(big.name, 'RangeError');
  t.true(small.depth > 1000, `depth ${small.depth}`);
  t.true(big.depth > small.depth * 4, `${big.depth} vs ${small.depth}`);
  // A fiber that overflowed keeps working: the carrier is reused.
  t.is(await spawn(() => { sleep(1); return 'fine'; }), 'fine');
});

test.serial('exceptions cross switches with their stack and identity', async (t) => {
  const err = new Error('through wait');
  const f = spawn(() => {
    try {
      wait(Promise.reject(err));
    } catch (e) {
      return e;
    }
  });
  t.is(await f, err);
  const nested = spawn(() => spawn(() => { sleep(1); throw err; }).get());
  await t.throwsAsync(async () => nested, { is: err });
});

// The hub's probe of how this Node keeps AsyncLocalStorage state entered a store and
// left it enabled, which keeps node's promise hooks on for good: every await of the
// process took 381 ns instead of 116 on Node 20.
test('starting greenstack leaves node\'s promise hooks off (a program\'s own async hook still turns them on)', (t) => {
  const r = runFixture('promise-hooks.js');
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { afterFiber: false, withOwnHook: true });
});
