// toolkit.condition.test.ts: Condition: wait/notify FIFO, lock re-acquired on every exit, kills, async twins.
import test from 'ava';
import {
  BlockingInHubError,
  Condition,
  current,
  Event,
  Fiber,
  Lock,
  LockNotOwnedError,
  RLock,
  Semaphore,
  sleep,
  spawn,
  Timeout,
} from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { settle } from './helpers/toolkit.js';

checkLeaks(test);


test.serial('wait releases the lock, notify wakes waiters FIFO, each returns holding the lock', async (t) => {
  const cond = new Condition();
  const woke: number[] = [];
  const fibers: Fiber[] = [];
  for (const i of [0, 1, 2]) {
    fibers.push(
      spawn(() => {
        cond.withLock(() => {
          t.true(cond.wait());
          t.true(cond.lock.isOwned(), 'holds the lock after wait');
          woke.push(i);
        });
      }),
    );
    await settle(); // in this order
  }
  t.false(cond.lock.locked(), 'waiters released the lock');
  await spawn(() => cond.withLock(() => cond.notify()));
  await settle();
  t.deepEqual(woke, [0]);
  await spawn(() => cond.withLock(() => cond.notify(5)));
  await Promise.all(fibers);
  t.deepEqual(woke, [0, 1, 2]);
});

test.serial('RLock depth is restored after wait', async (t) => {
  const cond = new Condition(new RLock());
  const f = spawn(() => {
    cond.acquire();
    cond.acquire();
    const ok = cond.wait();
    const depth = (cond.lock as RLock).count;
    cond.release();
    cond.release();
    return [ok, depth];
  });
  await settle();
  t.false(cond.lock.locked());
  await spawn(() => cond.withLock(() => cond.notifyAll()));
  t.deepEqual(await f, [true, 2]);
});

test.serial('wait/notify without holding the lock throws LockNotOwnedError', async (t) => {
  const cond = new Condition(new Lock());
  await t.throwsAsync(async () => spawn(() => cond.wait()), { instanceOf: LockNotOwnedError });
  await t.throwsAsync(async () => spawn(() => cond.notify()), { code: 'ERR_GREENSTACK_LOCK_NOT_OWNED' });
  t.throws(() => cond.notifyAll(), { instanceOf: LockNotOwnedError });
  await t.throwsAsync(cond.waitAsync(), { instanceOf: LockNotOwnedError });
  t.throws(() => cond.wait(), { instanceOf: BlockingInHubError });
});

test.serial('timeout: wait returns false with the lock held again; waitFor checks a predicate', async (t) => {
  const cond = new Condition();
  const r = await spawn(() =>
    cond.withLock(() => {
      const ok = cond.wait({ timeout: 10 });
      return [ok, cond.lock.isOwned(), cond.wait({ timeout: 0 })];
    }),
  );
  t.deepEqual(r, [false, true, false]);
  let ready = false;
  const waiter = spawn(() => cond.withLock(() => cond.waitFor(() => ready)));
  const timedOut = spawn(() => cond.withLock(() => cond.waitFor(() => false, 15)));
  await settle();
  await spawn(() => cond.withLock(() => cond.notifyAll())); // spurious: predicate still false
  await settle();
  t.false(waiter.dead);
  ready = true;
  await spawn(() => cond.withLock(() => cond.notifyAll()));
  t.true(await waiter);
  t.false(await timedOut);
});

test.serial('a killed waiter re-acquires the lock before dying; the kill is thrown after', async (t) => {
  const cond = new Condition(new Lock());
  const events: string[] = [];
  const victim = spawn(() => {
    cond.acquire();
    try {
      cond.wait();
    } finally {
      events.push(`finally owned=${cond.lock.isOwned()}`);
      cond.release();
    }
  });
  await settle();
  // somebody else holds the lock when the kill arrives: the victim waits for it
  const gate = new Event();
  const holder = spawn(() => {
    cond.acquire();
    gate.wait();
    events.push('holder releases');
    cond.release();
  });
  await settle();
  victim.kill(undefined, { block: false });
  await settle();
  gate.set();
  await Promise.all([victim, holder]);
  t.deepEqual(events, ['holder releases', 'finally owned=true']);
  t.false(cond.lock.locked());
});

test.serial('Timeout of a fiber in wait: TimeoutError after re-acquiring', async (t) => {
  const cond = new Condition();
  const r = await spawn(() => {
    const timeout = Timeout.startNew(10);
    cond.acquire();
    try {
      cond.wait();
      return 'not reached';
    } catch (err) {
      return timeout.is(err) && cond.lock.isOwned() ? 'timed out, lock held' : String(err);
    } finally {
      cond.release();
    }
  });
  t.is(r, 'timed out, lock held');
});

test.serial('a waiter killed right after notify passes the notification to the next waiter', async (t) => {
  const cond = new Condition();
  let victim!: Fiber;
  victim = spawn(() => cond.withLock(() => cond.wait()));
  await settle();
  const next = spawn(() => cond.withLock(() => cond.wait({ timeout: 10_000 })));
  await settle();
  await spawn(() =>
    cond.withLock(() => {
      cond.notify(1); // goes to victim...
      victim.kill(undefined, { block: false }); // ...which dies before it runs
    }),
  );
  t.true(await next, 'next was notified instead (it did not time out)');
  await victim;
});

test.serial('async twins: waitAsync/waitForAsync with the lock held by the hub; fibers notify', async (t) => {
  const cond = new Condition(new Lock());
  let value = 0;
  await cond.acquireAsync();
  const setter = spawn(() => {
    sleep(3);
    cond.withLock(() => {
      value = 1;
      cond.notify();
    });
  });
  t.true(await cond.waitAsync());
  t.is(cond.lock.owner, null, 'held by the hub again');
  t.is(value, 1);
  t.false(await cond.waitAsync({ timeout: 5 }));
  t.true(cond.lock.locked());
  const setter2 = spawn(() => {
    sleep(2);
    cond.withLock(() => {
      value = 2;
      cond.notifyAll();
    });
  });
  t.true(await cond.waitForAsync(() => value === 2, 1000));
  cond.release();
  const ac = new AbortController();
  await cond.withLockAsync(async () => {
    const p = cond.waitAsync({ signal: ac.signal });
    ac.abort(new RangeError('stop'));
    await t.throwsAsync(p, { instanceOf: RangeError });
    t.true(cond.lock.locked());
  });
  t.false(cond.lock.locked());
  await Promise.all([setter, setter2]);
  // fibers waiting, hub notifies (it must hold the lock)
  const w = spawn(() => cond.withLock(() => cond.wait()));
  await settle();
  await cond.withLockAsync(() => cond.notify());
  t.true(await w);
});

test.serial('bad arguments are typed errors', async (t) => {
  t.throws(() => new Condition(new Semaphore() as never), { code: 'ERR_INVALID_ARG_TYPE' });
  const cond = new Condition();
  await spawn(() =>
    cond.withLock(() => {
      t.throws(() => cond.notify(-1), { code: 'ERR_INVALID_ARG_VALUE' });
      t.throws(() => cond.notify('1' as never), { code: 'ERR_INVALID_ARG_TYPE' });
      t.throws(() => cond.wait({ timeout: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
      t.throws(() => cond.waitFor(null as never), { code: 'ERR_INVALID_ARG_TYPE' });
      t.is(cond.lock.owner, current());
    }),
  );
});
