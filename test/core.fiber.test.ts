// core.fiber.test.ts: spawn, join, get, value passing and thenable fibers.
import test from 'ava';
import { current, Fiber, joinAll, sleep, spawn, spawnLater, wait } from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

test.serial('three fibers sleep, wait on a promise and are joined', async (t) => {
  const fibers = [1, 2, 3].map((n) =>
    spawn((k: number) => {
      sleep(20 * k);
      return wait(new Promise<number>((resolve) => setTimeout(() => resolve(k * 10), 5))) + 1;
    }, n),
  );
  const main = spawn(() => joinAll(fibers).length);
  t.is(await main, 3);
  t.deepEqual(
    fibers.map((f) => f.value),
    [11, 21, 31],
  );
});

test.serial('a fiber starts on a later hub turn, not inside spawn()', async (t) => {
  const order: string[] = [];
  const f = spawn(() => {
    order.push('fiber');
  });
  order.push('after spawn');
  t.false(f.dead);
  await f;
  t.deepEqual(order, ['after spawn', 'fiber']);
});

test.serial('current() is the running fiber, null on the hub', async (t) => {
  t.is(current(), null);
  // (A fiber is thenable, so returning one from a fiber would adopt it: compare instead.)
  const f: Fiber<boolean> = spawn(() => current() === f);
  t.true(await f);
});

test.serial('errors propagate through get() and await', async (t) => {
  const f = spawn(() => {
    sleep(1);
    throw new TypeError('bad');
  });
  await t.throwsAsync(async () => f, { instanceOf: TypeError, message: 'bad' });
  t.true(f.dead);
  t.false(f.successful);
  t.true(f.error instanceof TypeError);
  const g = spawn(() => f.get());
  await t.throwsAsync(async () => g, { message: 'bad' });
});

test.serial('spawnLater past 2^31-1 ms (and Infinity) does not run early: a 20 ms fiber runs first', async (t) => {
  const ran: string[] = [];
  const late = [2 ** 31, 1e15, Infinity].map((ms) => spawnLater(ms, () => ran.push(`late ${ms}`)));
  // setTimeout clamps an over-long delay to 1 ms: a clamped one would run before this.
  await spawnLater(20, () => ran.push('20 ms'));
  await spawn(() => sleep(0));
  t.deepEqual(ran, ['20 ms']);
  for (const f of late) {
    t.true(f.started);
    t.false(f.dead);
    f.kill();
    t.true(f.dead);
  }
  t.deepEqual(ran, ['20 ms']);
});

test.serial('wait(promise) resumes in the promise reaction, in the order an await would, ahead of ready fibers', async (t) => {
  // The async/await twin: the continuation of `await p` runs in the reaction to p,
  // before a microtask queued after p resolved.
  const twin: string[] = [];
  let resolveTwin!: (v: number) => void;
  const q = new Promise<number>((r) => (resolveTwin = r));
  const awaiting = (async () => {
    twin.push(`resumed with ${await q}`);
  })();
  await new Promise((r) => setTimeout(r, 1));
  resolveTwin(1);
  queueMicrotask(() => twin.push('next microtask'));
  await awaiting;

  const order: string[] = [];
  let resolve!: (v: number) => void;
  const p = new Promise<number>((r) => (resolve = r));
  let waiting = false;
  const waiter = spawn(() => {
    waiting = true;
    order.push(`resumed with ${wait(p)}`);
  });
  // Fibers that keep the ready queue full: a resume through the queue waits behind them.
  let stop = false;
  const busy = Array.from({ length: 50 }, () => spawn(() => {
    while (!stop) sleep(0);
  }));
  while (!waiting) await new Promise((r) => setTimeout(r, 1));
  resolve(1);
  queueMicrotask(() => order.push('next microtask'));
  await waiter;
  stop = true;
  await Promise.all(busy);
  t.deepEqual(order, twin);
  t.deepEqual(order, ['resumed with 1', 'next microtask']);
});

test.serial('a fiber looping on wait() of settled promises does not starve timers or other fibers', async (t) => {
  let stop = false;
  let rounds = 0;
  const looper = spawn(() => {
    while (!stop) {
      wait(Promise.resolve(rounds));
      rounds++;
    }
  });
  const other = spawn(() => sleep(2));
  await new Promise((r) => setTimeout(r, 20));
  await other;
  stop = true;
  await looper;
  t.true(rounds > 16, `${rounds} rounds`);
});
