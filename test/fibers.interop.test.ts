// fibers.interop.test.ts: greenstack/fibers with greenstack itself: blocking calls, spawn() fibers, kill, Timeout, async_hooks.
import { AsyncLocalStorage, AsyncResource, executionAsyncResource } from 'node:async_hooks';
import test from 'ava';
import { AsyncScopeError, current, FiberExit, sleep, spawn, Timeout, TimeoutError, wait } from 'greenstack';
import Fiber from 'greenstack/fibers';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

const tick = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test.serial('greenstack sleep() in a Fiber: run() returns at the block, the hub resumes the fiber later', async (t) => {
  const events: string[] = [];
  const f = Fiber((x: string) => {
    events.push(`start ${x}`);
    sleep(10);
    events.push('slept');
    events.push(`got ${Fiber.yield('dropped: the hub resumed me, nobody is in run()')}`);
    return 'done';
  });
  t.is(f.run('a'), undefined);
  events.push('run returned');
  t.true(f.started);
  for (let i = 0; i < 50 && !events.includes('slept'); i++) await tick();
  t.deepEqual(events, ['start a', 'run returned', 'slept']);
  t.is(f.run('b'), 'done');
  t.deepEqual(events.slice(3), ['got b']);
});

test.serial('wait(promise) in a Fiber; the yield() after it is answered by the next run()', async (t) => {
  let resolve!: (v: number) => void;
  const p = new Promise<number>((r) => (resolve = r));
  let reached = false;
  const f = Fiber(() => {
    const v = wait(p);
    reached = true;
    return [v, Fiber.yield(v * 2)];
  });
  t.is(f.run(), undefined);
  resolve(21);
  for (let i = 0; i < 50 && !reached; i++) await tick(1);
  t.true(reached);
  t.deepEqual(f.run('next'), [21, 'next']);
  t.false(f.started);
});

test.serial('a spawn() fiber runs Fibers synchronously: values, errors, nesting', async (t) => {
  const out = await spawn(() => {
    const gen = Fiber(() => {
      for (let i = 0; i < 3; i++) Fiber.yield(i);
      return 'end';
    });
    const got: unknown[] = [];
    for (let i = 0; i < 4; i++) got.push(gen.run());
    let err: unknown;
    try {
      Fiber(() => Fiber(() => {
        throw new Error('inner');
      }).run()).run();
    } catch (e) {
      err = (e as Error).message;
    }
    got.push(err);
    return got;
  });
  t.deepEqual(out, [0, 1, 2, 'end', 'inner']);
});

test.serial('a Fiber that blocks in greenstack gives control back to the spawn() fiber that ran it', async (t) => {
  const order: string[] = [];
  await spawn(() => {
    const f = Fiber(() => {
      order.push('fiber sleeps');
      sleep(5);
      order.push('fiber woke');
    });
    t.is(f.run(), undefined);
    order.push('spawn goes on');
    while (f.started) sleep(2);
  });
  t.deepEqual(order, ['fiber sleeps', 'spawn goes on', 'fiber woke']);
});

test.serial('Fiber.current in a spawn() fiber: it can yield and be resumed by run() from a callback', async (t) => {
  const got = await spawn(() => {
    const me = Fiber.current!;
    t.true(me.started);
    t.is(Fiber.current, me);
    setTimeout(() => me.run('from a timer'), 5);
    return Fiber.yield();
  });
  t.is(got, 'from a timer');
});

test.serial('greenstack kill() of a Fiber suspended in yield() unwinds it', async (t) => {
  let core: ReturnType<typeof current> = null;
  let cleaned = false;
  const f = Fiber(() => {
    core = current();
    try {
      Fiber.yield();
    } finally {
      cleaned = true;
    }
  });
  f.run();
  t.truthy(core);
  core!.kill(new FiberExit());
  for (let i = 0; i < 50 && f.started; i++) await tick(1);
  t.true(cleaned);
  t.false(f.started);
});

test.serial('a greenstack Timeout fires into a fiber waiting in Fiber.yield()', async (t) => {
  let outcome: unknown;
  const f = Fiber(() => {
    const timer = Timeout.startNew(5);
    try {
      Fiber.yield();
      outcome = 'resumed';
    } catch (err) {
      outcome = timer.is(err) && err instanceof TimeoutError ? 'timed out' : err;
    } finally {
      timer.cancel();
    }
  });
  t.is(f.run(), undefined);
  for (let i = 0; i < 100 && f.started; i++) await tick(1);
  t.is(outcome, 'timed out');
  t.false(f.started);
});

test.serial('async_hooks: a Fiber runs in an async scope of its own; the caller\'s is restored after run()', (t) => {
  const resources: unknown[] = [];
  const f = Fiber(() => {
    resources.push(executionAsyncResource());
    Fiber.yield();
    resources.push(executionAsyncResource());
  });
  const outside = executionAsyncResource();
  f.run();
  t.is(executionAsyncResource(), outside);
  f.run();
  t.is(executionAsyncResource(), outside);
  t.is(resources.length, 2);
  // (Node 24 resumes a fiber inside a context snapshot's own resource, so the two need not be equal.)
  t.false(resources.includes(outside));
});

test.serial('async_hooks: AsyncLocalStorage inside a Fiber survives yields and does not leak out', (t) => {
  const als = new AsyncLocalStorage<string>();
  const seen: Array<string | undefined> = [];
  const f = Fiber(() => {
    seen.push(als.getStore());
    als.enterWith('fiber');
    Fiber.yield();
    seen.push(als.getStore());
    als.run('nested', () => {
      Fiber.yield();
      seen.push(als.getStore());
    });
    seen.push(als.getStore());
  });
  als.run('caller', () => f.run());
  t.is(als.getStore(), undefined);
  als.run('other caller', () => f.run());
  f.run();
  t.is(als.getStore(), undefined);
  t.deepEqual(seen, ['caller', 'fiber', 'nested', 'fiber']);
});

test.serial('async_hooks: yield() inside an AsyncResource scope throws AsyncScopeError instead of corrupting Node', (t) => {
  const f = Fiber(() => {
    const resource = new AsyncResource('TestResource');
    let err: unknown;
    resource.runInAsyncScope(() => {
      try {
        Fiber.yield();
      } catch (e) {
        err = e;
      }
    });
    Fiber.yield('outside the scope');
    return err;
  });
  t.is(f.run(), 'outside the scope');
  const err = f.run();
  t.true(err instanceof AsyncScopeError);
  t.is((err as AsyncScopeError).code, 'ERR_GREENSTACK_ASYNC_SCOPE');
});
