// toolkit.semaphore.test.ts: Semaphore and BoundedSemaphore: FIFO handoff, no barging, kills and timeouts, async twins.
import test from 'ava';
import {
  BlockingInHubError,
  BoundedSemaphore,
  FiberExit,
  Semaphore,
  SemaphoreOverReleaseError,
  sleep,
  spawn,
  Timeout,
  TimeoutError,
  withTimeout,
} from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { settle } from './helpers/toolkit.js';

checkLeaks(test);

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.serial('acquire/release count permits; acquire works on the hub while permits are free', (t) => {
  const sem = new Semaphore(2);
  t.is(sem.counter, 2);
  t.true(sem.acquire());
  t.true(sem.tryAcquire());
  t.true(sem.locked());
  t.false(sem.tryAcquire());
  t.false(sem.acquire({ timeout: 0 }), 'timeout 0 polls, without parking');
  t.throws(() => sem.acquire(), { instanceOf: BlockingInHubError });
  sem.release();
  sem.release();
  t.is(sem.counter, 2);
  t.is(new Semaphore().counter, 1);
  t.is(new Semaphore(0).counter, 0);
});

test.serial('waiters (fibers and promises) get permits strictly FIFO; a late acquirer cannot barge', async (t) => {
  const sem = new Semaphore(0);
  const got: string[] = [];
  const f1 = spawn(() => {
    sem.acquire();
    got.push('f1');
  });
  await settle();
  const p1 = sem.acquireAsync().then(() => got.push('p1'));
  const f2 = spawn(() => {
    sem.acquire();
    got.push('f2');
  });
  await settle();
  const p2 = sem.acquireAsync().then(() => got.push('p2'));
  const expected = ['f1', 'p1', 'f2', 'p2'];
  for (let i = 0; i < 4; i++) {
    sem.release();
    t.false(sem.tryAcquire(), 'the permit went to the first waiter, not to the caller');
    t.is(sem.counter, 0);
    await settle();
    t.deepEqual(got, expected.slice(0, i + 1));
  }
  await Promise.all([f1, f2, p1, p2]);
  sem.release();
  t.is(sem.counter, 1);
});

test.serial('a fiber killed right after being handed a permit passes it on (no lost permit)', async (t) => {
  const sem = new Semaphore(0);
  const a = spawn(() => sem.acquire());
  const b = spawn(() => {
    sem.acquire();
    return 'b has it';
  });
  await settle();
  sem.release(); // handed to a...
  a.kill(); // ...which dies before it runs: the permit goes to b
  t.is(await b, 'b has it');
  await a;
  t.true((a.value as unknown) instanceof FiberExit);
  t.is(sem.counter, 0);
  // nobody else waiting: the permit returns to the counter
  const c = spawn(() => sem.acquire());
  await settle();
  sem.release();
  c.kill();
  await c;
  t.is(sem.counter, 1);
});

test.serial('an abort or own timeout racing a release never loses the permit', async (t) => {
  for (let round = 0; round < 20; round++) {
    const sem = new Semaphore(0);
    const ac = new AbortController();
    const f = spawn(() => {
      try {
        return sem.acquire({ signal: ac.signal, timeout: 5 }) ? 'got' : 'timeout';
      } catch {
        return 'aborted';
      }
    });
    await delay(round % 7);
    // release and abort in the same hub turn, in either order
    if (round % 2) {
      sem.release();
      ac.abort();
    } else {
      ac.abort();
      sem.release();
    }
    const outcome = await f;
    // exactly one place holds the permit: the fiber, or the counter
    t.is(sem.counter + (outcome === 'got' ? 1 : 0), 1, `round ${round}: ${outcome}`);
  }
});

test.serial('kill and Timeout of fibers blocked in acquire; acquire timeout returns false', async (t) => {
  const sem = new Semaphore(0);
  t.false(await spawn(() => sem.acquire({ timeout: 10 })));
  t.false(await spawn(() => sem.acquire(10)));
  const victim = spawn(() => sem.acquire());
  const timed = spawn(() => {
    const timeout = Timeout.startNew(10);
    try {
      return sem.acquire();
    } catch (err) {
      return timeout.is(err) ? 'timed out' : err;
    }
  });
  await settle();
  victim.kill();
  t.is(await timed, 'timed out');
  await victim;
  sem.release();
  t.is(sem.counter, 1, 'no dead waiter took it');
});

test.serial('async twins: acquireAsync with timeout and signal, withLockAsync, holdAsync', async (t) => {
  const sem = new Semaphore(1);
  t.true(await sem.acquireAsync());
  t.false(await sem.acquireAsync({ timeout: 10 }));
  t.false(await sem.acquireAsync({ timeout: 0 }));
  const ac = new AbortController();
  const p = sem.acquireAsync({ signal: ac.signal });
  ac.abort(new RangeError('no'));
  await t.throwsAsync(p, { instanceOf: RangeError });
  sem.release();
  t.is(sem.counter, 1, 'the aborted promise did not keep the permit');
  const order: string[] = [];
  const first = sem.withLockAsync(async () => {
    order.push('first in');
    await delay(10);
    order.push('first out');
    return 1;
  });
  const second = sem.withLockAsync(() => {
    order.push('second');
    return 2;
  });
  t.deepEqual(await Promise.all([first, second]), [1, 2]);
  t.deepEqual(order, ['first in', 'first out', 'second']);
  await t.throwsAsync(
    sem.withLockAsync(async () => {
      throw new Error('inner');
    }),
    { message: 'inner' },
  );
  t.is(sem.counter, 1, 'released after a throwing fn');
  {
    await using_(await sem.holdAsync(), () => t.is(sem.counter, 0));
  }
  t.is(sem.counter, 1);
  sem.acquire();
  await t.throwsAsync(sem.withLockAsync(() => 0, { timeout: 5 }), { instanceOf: TimeoutError });
  sem.release();
});

// `using` for an async-acquired handle, written out (the handle is Disposable).
async function using_(h: Disposable, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } finally {
    h[Symbol.dispose]();
  }
}

test.serial('withLock and `using hold()` release on every exit path, once', async (t) => {
  const sem = new Semaphore(1);
  const r = await spawn(() => {
    const v = sem.withLock(() => {
      t.is(sem.counter, 0);
      sleep(1);
      return 'v';
    });
    t.is(sem.counter, 1);
    try {
      sem.withLock(() => {
        throw new TypeError('x');
      });
    } catch (err) {
      t.true(err instanceof TypeError);
    }
    t.is(sem.counter, 1);
    {
      using h = sem.hold();
      t.is(sem.counter, 0);
      h.release(); // explicit release: dispose later is a no-op
      t.is(sem.counter, 1);
    }
    t.is(sem.counter, 1, 'released once, not twice');
    try {
      using _h = sem.hold();
      throw new Error('leave');
    } catch {
      t.is(sem.counter, 1);
    }
    sem.acquire();
    const err = (() => {
      try {
        sem.hold({ timeout: 5 });
      } catch (e) {
        return e;
      }
    })();
    sem.release();
    return [v, err instanceof TimeoutError];
  });
  t.deepEqual(r, ['v', true]);
});

test.serial('killed inside withLock: the permit is released by finally', async (t) => {
  const sem = new Semaphore(1);
  const f = spawn(() => sem.withLock(() => sleep(10_000)));
  await settle();
  t.is(sem.counter, 0);
  f.kill();
  await f;
  t.is(sem.counter, 1);
});

test.serial('wait() blocks until a permit is free without taking it', async (t) => {
  const sem = new Semaphore(0);
  const w = spawn(() => sem.wait());
  const pw = sem.waitAsync();
  t.is(await spawn(() => sem.wait({ timeout: 5 })), 0);
  t.is(await sem.waitAsync(5), 0);
  await settle();
  sem.release();
  t.is(await w, 1);
  t.is(await pw, 1);
  t.is(sem.counter, 1);
  t.is(sem.wait(), 1, 'no wait needed: fine on the hub');
});

test.serial('kill and Timeout of a fiber blocked in wait()', async (t) => {
  const sem = new Semaphore(0);
  const victim = spawn(() => sem.wait());
  const timed = spawn(() => withTimeout(5, () => sem.wait(), { value: 'timed out' }));
  await settle();
  victim.kill();
  t.is(await timed, 'timed out');
  await victim;
  sem.release();
  t.is(sem.counter, 1);
});

test.serial('release() from hub callbacks and promise reactions wakes fibers', async (t) => {
  const sem = new Semaphore(0);
  const f = spawn(() => {
    sem.acquire();
    sem.acquire();
    return 'two';
  });
  setTimeout(() => sem.release(), 2);
  void delay(6).then(() => sem.release());
  t.is(await f, 'two');
});

test.serial('BoundedSemaphore: releasing above the bound throws a typed error', async (t) => {
  const sem = new BoundedSemaphore(2);
  t.is(sem.bound, 2);
  const err = t.throws(() => sem.release(), { instanceOf: SemaphoreOverReleaseError });
  t.is(err!.code, 'ERR_GREENSTACK_SEMAPHORE_OVER_RELEASE');
  sem.acquire();
  sem.release();
  t.throws(() => sem.release(), { code: 'ERR_GREENSTACK_SEMAPHORE_OVER_RELEASE' });
  t.is(sem.counter, 2);
  // with waiters queued a release hands over; never above the bound
  sem.acquire();
  sem.acquire();
  const f = spawn(() => sem.acquire());
  await settle();
  sem.release();
  await f;
  t.is(sem.counter, 0);
  sem.release();
  sem.release();
  t.throws(() => sem.release(), { instanceOf: SemaphoreOverReleaseError });
});

test.serial('bad arguments are typed errors', async (t) => {
  t.throws(() => new Semaphore(-1), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new Semaphore(1.5), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new Semaphore('2' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => new BoundedSemaphore(NaN), { code: 'ERR_INVALID_ARG_VALUE' });
  const sem = new Semaphore(1);
  t.throws(() => sem.acquire({ timeout: -5 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => sem.withLock(null as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await t.throwsAsync(sem.acquireAsync({ signal: 'x' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  await t.throwsAsync(sem.withLockAsync(3 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.is(sem.counter, 1);
});
