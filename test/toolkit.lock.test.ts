// toolkit.lock.test.ts: Lock and RLock: ownership, FIFO, release by a non-owner, kills, async twins, deadlock at exit.
import test from 'ava';
import {
  BlockingInHubError,
  current,
  Event,
  Fiber,
  FiberExit,
  Lock,
  LockNotOwnedError,
  RLock,
  sleep,
  spawn,
  TimeoutError,
  withTimeout,
} from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { settle } from './helpers/toolkit.js';
import { runFixture } from './helpers/subprocess.js';

checkLeaks(test);


test.serial('Lock: mutual exclusion; owner is the fiber; FIFO among waiters', async (t) => {
  const lock = new Lock();
  const log: string[] = [];
  let inside = 0;
  const fibers = ['a', 'b', 'c', 'd'].map((name, i) =>
    spawn(() => {
      sleep(i); // arrive in order a, b, c, d
      lock.withLock(() => {
        inside++;
        t.is(inside, 1);
        t.is(lock.owner, current());
        t.true(lock.isOwned());
        log.push(name);
        sleep(5);
        inside--;
      });
    }),
  );
  await Promise.all(fibers);
  t.deepEqual(log, ['a', 'b', 'c', 'd']);
  t.false(lock.locked());
  t.is(lock.owner, undefined);
});

test.serial('Lock released by a fiber that did not acquire it: LockNotOwnedError, lock kept', async (t) => {
  const lock = new Lock();
  const gate = new Event();
  const holder = spawn(() => {
    lock.acquire();
    gate.wait();
    lock.release();
  });
  await settle();
  const other = spawn(() => lock.release());
  const err = await t.throwsAsync(async () => other, { instanceOf: LockNotOwnedError });
  t.is(err!.code, 'ERR_GREENSTACK_LOCK_NOT_OWNED');
  t.regex(err!.message, /cannot release a Lock held by <Fiber/);
  t.throws(() => lock.release(), { instanceOf: LockNotOwnedError, message: /the hub cannot release/ });
  t.true(lock.locked());
  t.is(lock.owner, holder as Fiber);
  gate.set();
  await holder;
  t.false(lock.locked());
  t.throws(() => lock.release(), { instanceOf: LockNotOwnedError, message: /unlocked Lock/ });
});

test.serial('Lock is not reentrant: a second acquire by the owner blocks (times out)', async (t) => {
  const lock = new Lock();
  const r = await spawn(() => {
    lock.acquire();
    const again = lock.acquire({ timeout: 10 });
    lock.release();
    return again;
  });
  t.false(r);
  t.false(lock.locked());
});

test.serial('RLock: the owner re-enters and must release as often; others wait', async (t) => {
  const lock = new RLock();
  const order: string[] = [];
  const a = spawn(() => {
    lock.acquire();
    lock.acquire();
    t.is(lock.count, 2);
    lock.withLock(() => t.is(lock.count, 3));
    sleep(10);
    lock.release();
    order.push('a released once');
    sleep(5);
    lock.release();
    order.push('a released twice');
  });
  const b = spawn(() => {
    sleep(2);
    lock.acquire();
    order.push('b acquired');
    lock.release();
  });
  await Promise.all([a, b]);
  t.deepEqual(order, ['a released once', 'a released twice', 'b acquired']);
});

test.serial('RLock released by a non-owner throws; on the hub it is not reentrant', async (t) => {
  const lock = new RLock();
  const holder = spawn(() => {
    lock.acquire();
    sleep(15);
    lock.release();
  });
  await settle();
  await t.throwsAsync(async () => spawn(() => lock.release()), { instanceOf: LockNotOwnedError });
  await holder;
  t.true(lock.acquire(), 'free: the hub may take it');
  t.is(lock.owner, null);
  t.false(lock.acquire({ timeout: 0 }), 'not reentrant for the hub');
  t.throws(() => lock.acquire(), { instanceOf: BlockingInHubError });
  lock.release();
  t.false(lock.locked());
});

test.serial('a fiber killed right after being handed the lock passes it on', async (t) => {
  const lock = new Lock();
  const gate = new Event();
  let victim!: Fiber;
  const holder = spawn(() => {
    lock.acquire();
    gate.wait();
    lock.release(); // hands the lock to victim...
    victim.kill(undefined, { block: false }); // ...which dies before it runs
  });
  await settle();
  victim = spawn(() => {
    lock.acquire();
  });
  await settle();
  const next = spawn(() => {
    lock.acquire();
    const mine = lock.owner === current();
    lock.release();
    return mine;
  });
  await settle();
  gate.set();
  await holder;
  t.true(await next, 'the lock reached the next waiter');
  await victim;
  t.true((victim.value as unknown) instanceof FiberExit);
  t.false(lock.locked());
});

test.serial('a fiber that dies holding a Lock does not release it (gevent semantics)', async (t) => {
  const lock = new Lock();
  const holder = spawn(() => {
    lock.acquire();
  });
  await holder;
  t.true(lock.locked());
  t.is(lock.owner, holder as Fiber);
  t.false(await spawn(() => lock.acquire({ timeout: 5 })));
});

test.serial('kill and Timeout of fibers blocked in Lock/RLock.acquire leave the lock usable', async (t) => {
  for (const lock of [new Lock(), new RLock()]) {
    const gate = new Event();
    const holder = spawn(() => {
      lock.acquire();
      gate.wait();
      lock.release();
    });
    await settle();
    const killed = spawn(() => lock.acquire());
    const timed = spawn(() => withTimeout(5, () => lock.acquire(), { value: 'timed out' }));
    const own = spawn(() => lock.acquire({ timeout: 5 }));
    await settle();
    killed.kill();
    t.is(await timed, 'timed out');
    t.false(await own);
    await killed;
    gate.set();
    await holder;
    t.false(lock.locked(), `${lock.constructor.name} free again`);
    t.is(await spawn(() => lock.withLock(() => 'ok')), 'ok');
  }
});

test.serial('async twins: acquireAsync/holdAsync/withLockAsync own the lock as the hub; FIFO with fibers', async (t) => {
  const lock = new Lock();
  const log: string[] = [];
  t.true(await lock.acquireAsync());
  t.is(lock.owner, null);
  const f = spawn(() => lock.withLock(() => log.push('fiber')));
  await settle();
  const p = lock.withLockAsync(async () => {
    log.push('async');
    await settle();
  });
  await settle();
  t.deepEqual(log, []);
  lock.release(); // the hub owns it: any async code may release
  await Promise.all([f, p]);
  t.deepEqual(log, ['fiber', 'async']);
  t.false(await lock.acquireAsync({ timeout: 0 }).then(() => lock.acquireAsync({ timeout: 5 })));
  lock.release();
  const h = await lock.holdAsync();
  t.true(lock.locked());
  h[Symbol.dispose]();
  h[Symbol.dispose]();
  t.false(lock.locked());
  // a fiber cannot release what async code holds
  await lock.acquireAsync();
  await t.throwsAsync(async () => spawn(() => lock.release()), { instanceOf: LockNotOwnedError });
  lock.release();
  await lock.acquireAsync();
  await t.throwsAsync(lock.withLockAsync(() => 1, { timeout: 5 }), { instanceOf: TimeoutError });
  lock.release();
});

test.serial('`using lock.hold()` in a fiber releases on return and on throw', async (t) => {
  const lock = new RLock();
  await spawn(() => {
    {
      using _h = lock.hold();
      using _h2 = lock.hold();
      t.is(lock.count, 2);
    }
    t.false(lock.locked());
    try {
      using _h = lock.hold();
      throw new Error('x');
    } catch {
      t.false(lock.locked());
    }
  });
});

test.serial('two fibers deadlocked on two Locks leave the process able to exit normally', (t) => {
  const r = runFixture('toolkit-deadlock.js', { timeout: 20_000 });
  t.is(r.signal, null, 'not killed by the test timeout');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /deadlocked: a=true b=true f1\.dead=false f2\.dead=false/);
  t.regex(r.stdout, /exit 0/);
  t.notRegex(r.stdout, /got both/);
});
