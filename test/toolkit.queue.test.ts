// toolkit.queue.test.ts: Queue, LifoQueue, PriorityQueue, JoinableQueue: FIFO handoff, no lost items, shutdown, iteration, random interleavings.
import test from 'ava';
import {
  BlockingInHubError,
  Fiber,
  FiberExit,
  JoinableQueue,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  QueueTaskDoneError,
  sleep,
  spawn,
  Timeout,
  withTimeout,
} from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { settle } from './helpers/toolkit.js';

checkLeaks(test);

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Seeded PRNG (mulberry32): the random interleavings are reproducible from the seed.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test.serial('nowait operations, size/empty/full/peek; they work on the hub', (t) => {
  const q = new Queue<number>(2);
  t.is(q.maxsize, 2);
  t.true(q.empty());
  t.false(q.full());
  q.putNowait(1);
  q.put(2); // room: does not block, fine on the hub
  t.is(q.size, 2);
  t.true(q.full());
  t.is(q.peekNowait(), 1);
  t.is(q.peek(), 1);
  const full = t.throws(() => q.putNowait(3), { instanceOf: QueueFull });
  t.is(full!.code, 'ERR_GREENSTACK_QUEUE_FULL');
  t.throws(() => q.put(3, { timeout: 0 }), { instanceOf: QueueFull });
  t.throws(() => q.put(3), { instanceOf: BlockingInHubError });
  t.is(q.getNowait(), 1);
  t.is(q.get(), 2);
  const empty = t.throws(() => q.getNowait(), { instanceOf: QueueEmpty });
  t.is(empty!.code, 'ERR_GREENSTACK_QUEUE_EMPTY');
  t.throws(() => q.get(0), { instanceOf: QueueEmpty });
  t.throws(() => q.peekNowait(), { instanceOf: QueueEmpty });
  t.throws(() => q.get(), { instanceOf: BlockingInHubError });
  t.throws(() => q.peek(), { instanceOf: BlockingInHubError });
  const unbounded = new Queue(0, { items: [1, 2, 3] });
  t.is(unbounded.maxsize, Infinity);
  t.is(unbounded.size, 3);
  t.false(unbounded.full());
  t.is(new Queue().maxsize, Infinity);
});

test.serial('getters are served FIFO, fibers and promises in one queue; a put goes to the waiter, not a latecomer', async (t) => {
  const q = new Queue<string>();
  const got: string[] = [];
  const f1 = spawn(() => got.push(`f1:${q.get()}`));
  await settle();
  const p1 = q.getAsync().then((x) => got.push(`p1:${x}`));
  const f2 = spawn(() => got.push(`f2:${q.get()}`));
  await settle();
  const p2 = q.getAsync().then((x) => got.push(`p2:${x}`));
  for (const x of ['a', 'b', 'c', 'd']) {
    q.putNowait(x);
    t.throws(() => q.getNowait(), { instanceOf: QueueEmpty }, 'handed to the waiting getter');
  }
  await Promise.all([f1, f2, p1, p2]);
  t.deepEqual(got.sort(), ['f1:a', 'f2:c', 'p1:b', 'p2:d']);
});

test.serial('putters are served FIFO when the queue is full; items keep put order', async (t) => {
  const q = new Queue<number>(1);
  q.putNowait(0);
  const f1 = spawn(() => q.put(1));
  await settle();
  const p2 = q.putAsync(2);
  const f3 = spawn(() => q.put(3));
  await settle();
  const p4 = q.putAsync(4);
  await settle();
  t.is(q.size, 1);
  const out = await spawn(() => [q.get(), q.get(), q.get(), q.get(), q.get()]);
  t.deepEqual(out, [0, 1, 2, 3, 4]);
  await Promise.all([f1, p2, f3, p4]);
  t.true(q.empty());
});

test.serial('a getter killed right after being handed an item gives it back (nothing lost)', async (t) => {
  const q = new JoinableQueue<string>();
  const victim = spawn(() => q.get());
  await settle();
  q.putNowait('x'); // handed to victim...
  victim.kill(); // ...which dies before it runs
  await victim;
  t.true((victim.value as unknown) instanceof FiberExit);
  t.is(q.size, 1, 'the item is back in the queue');
  t.is(q.unfinishedTasks, 1, 'counted once');
  t.is(q.getNowait(), 'x');
  // with another getter waiting, it goes straight to that one, in order
  const v2 = spawn(() => q.get());
  const next = spawn(() => q.get());
  await settle();
  q.putNowait('y'); // to v2, the first getter
  v2.kill();
  t.is(await next, 'y', 'the next getter got the item the victim lost');
  q.putNowait('z');
  t.is(q.getNowait(), 'z');
  await v2;
  q.taskDone();
  q.taskDone();
  q.taskDone();
  t.is(q.unfinishedTasks, 0);
});

test.serial('an abort or own timeout racing a put never loses or duplicates the item', async (t) => {
  for (let round = 0; round < 20; round++) {
    const q = new Queue<number>();
    const ac = new AbortController();
    const f = spawn(() => {
      try {
        return q.get({ signal: ac.signal, timeout: 4 });
      } catch (err) {
        return err instanceof QueueEmpty ? 'timeout' : 'aborted';
      }
    });
    await delay(round % 6);
    if (round % 2) {
      q.putNowait(round);
      ac.abort();
    } else {
      ac.abort();
      q.putNowait(round);
    }
    const r = await f;
    t.is((r === round ? 1 : 0) + q.size, 1, `round ${round}: ${String(r)}`);
  }
});

test.serial('Timeout (the class) racing a put: the item is received or stays queued', async (t) => {
  for (let round = 0; round < 10; round++) {
    const q = new Queue<number>();
    const f = spawn(() => {
      const to = Timeout.startNew(5);
      try {
        return q.get();
      } catch (err) {
        return to.is(err) ? 'timeout' : err;
      } finally {
        to.cancel();
      }
    });
    const put = new Promise<void>((resolve) => setTimeout(() => resolve(q.putNowait(round)), 5));
    const r = await f;
    await put;
    t.is((r === round ? 1 : 0) + q.size, 1, `round ${round}: ${String(r)}`);
  }
});

test.serial('kill and Timeout of fibers blocked in get, put and peek', async (t) => {
  const empty = new Queue<number>();
  const fullQ = new Queue<number>(1, { items: [0] });
  const blocked: Array<() => unknown> = [() => empty.get(), () => fullQ.put(1), () => empty.peek()];
  for (const block of blocked) {
    const victim = spawn(block);
    const timed = spawn(() => withTimeout(5, block, { value: 'timed out' }));
    await settle();
    victim.kill();
    t.is(await timed, 'timed out');
    await victim;
  }
  await t.throwsAsync(async () => spawn(() => empty.get({ timeout: 5 })), { instanceOf: QueueEmpty });
  await t.throwsAsync(async () => spawn(() => fullQ.put(9, 5)), { instanceOf: QueueFull });
  await t.throwsAsync(async () => spawn(() => empty.peek(5)), { instanceOf: QueueEmpty });
  // the dead waiters left no trace: the next item goes to a live getter, the full queue kept one item
  t.deepEqual([fullQ.size, fullQ.getNowait()], [1, 0]);
  const g = spawn(() => empty.get());
  await settle();
  empty.putNowait(5);
  t.is(await g, 5);
});

test.serial('kill and Timeout of a fiber blocked in JoinableQueue.join', async (t) => {
  const q = new JoinableQueue<number>(0, { items: [1] });
  const victim = spawn(() => q.join());
  const timed = spawn(() => withTimeout(5, () => q.join(), { value: 'timed out' }));
  await settle();
  victim.kill();
  t.is(await timed, 'timed out');
  await victim;
  const joiner = spawn(() => q.join());
  q.getNowait();
  q.taskDone();
  t.true(await joiner);
});

test.serial('shutdown wakes blocked getters and putters (fibers and promises) with QueueShutDown', async (t) => {
  const q = new Queue<number>();
  const getters = [spawn(() => q.get()), spawn(() => q.peek())];
  const asyncGet = q.getAsync();
  const full = new Queue<number>(1, { items: [1] });
  const putters = [spawn(() => full.put(2))];
  const asyncPut = full.putAsync(3);
  await settle();
  q.shutdown();
  full.shutdown();
  for (const f of [...getters, ...putters]) {
    const err = await t.throwsAsync(async () => f, { instanceOf: QueueShutDown });
    t.is(err!.code, 'ERR_GREENSTACK_QUEUE_SHUT_DOWN');
  }
  await t.throwsAsync(asyncGet, { instanceOf: QueueShutDown });
  await t.throwsAsync(asyncPut, { instanceOf: QueueShutDown });
  t.true(q.isShutdown);
  t.throws(() => q.putNowait(1), { instanceOf: QueueShutDown });
  await t.throwsAsync(q.putAsync(1), { instanceOf: QueueShutDown });
  // what was stored still drains, then gets fail
  t.is(full.size, 1, 'blocked putters did not add their items');
  t.is(full.getNowait(), 1);
  t.throws(() => full.getNowait(), { instanceOf: QueueShutDown });
  t.throws(() => full.get(), { instanceOf: QueueShutDown }, 'throws, does not block, even on the hub');
});

test.serial('shutdown(true) drops stored items; JoinableQueue.join is released', async (t) => {
  const q = new JoinableQueue<number>(0, { items: [1, 2, 3] });
  t.is(q.unfinishedTasks, 3);
  const joiner = spawn(() => q.join());
  const asyncJoin = q.joinAsync();
  await settle();
  q.shutdown(true);
  t.is(q.size, 0);
  t.true(await joiner);
  t.true(await asyncJoin);
  t.throws(() => q.getNowait(), { instanceOf: QueueShutDown });
  q.shutdown(); // idempotent
});

test.serial('iteration: for-of in a fiber and for-await on the hub end at shutdown', async (t) => {
  const q = new Queue<number>(2);
  const seenByFiber: number[] = [];
  const consumer = spawn(() => {
    for (const x of q) {
      seenByFiber.push(x);
      sleep(0);
    }
    return 'done';
  });
  for (let i = 0; i < 10; i++) await q.putAsync(i);
  await settle();
  q.shutdown();
  t.is(await consumer, 'done');
  t.deepEqual(seenByFiber, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

  const q2 = new Queue<number>();
  const producer = spawn(() => {
    for (let i = 0; i < 5; i++) {
      q2.put(i);
      sleep(1);
    }
    q2.shutdown();
  });
  const seenOnHub: number[] = [];
  for await (const x of q2) seenOnHub.push(x);
  await producer;
  t.deepEqual(seenOnHub, [0, 1, 2, 3, 4]);
});

test.serial('for-await hands thenable items (fibers) through as they are', async (t) => {
  const q = new Queue<Fiber<number>>();
  const fibers = [spawn(() => 1), spawn(() => 2)];
  for (const f of fibers) q.putNowait(f);
  q.shutdown();
  const seen: unknown[] = [];
  for await (const f of q) seen.push(f);
  t.is(seen[0], fibers[0]);
  t.is(seen[1], fibers[1]);
  await Promise.all(fibers);
});

test.serial('return() on the async iterator while next() waits withdraws that get (no item swallowed)', async (t) => {
  const q = new Queue<number>();
  const it = q[Symbol.asyncIterator]();
  const pending = it.next();
  await it.return!();
  t.deepEqual(await pending, { done: true, value: undefined });
  q.putNowait(1);
  t.is(q.getNowait(), 1, 'the item was not taken by the abandoned iterator');
});

test.serial('LifoQueue and PriorityQueue order; priority ties keep put order', async (t) => {
  const lifo = new LifoQueue<number>(0, { items: [1, 2] });
  lifo.putNowait(3);
  t.is(lifo.peekNowait(), 3);
  t.deepEqual([lifo.getNowait(), lifo.getNowait(), lifo.getNowait()], [3, 2, 1]);

  const pq = new PriorityQueue<[number, string]>();
  for (const e of [[3, 'c'], [1, 'a'], [2, 'b1'], [2, 'b2'], [0, 'z']] as Array<[number, string]>) pq.putNowait(e);
  t.deepEqual(pq.peekNowait(), [0, 'z']);
  const out: string[] = [];
  while (!pq.empty()) out.push(pq.getNowait()[1]);
  t.deepEqual(out, ['z', 'a', 'b1', 'b2', 'c']);

  // [priority, object]: equal priorities with incomparable payloads come out in put order
  const jobs = new PriorityQueue<[number, object]>();
  const a = { a: 1 };
  const b = { b: 1 };
  jobs.putNowait([1, a]);
  jobs.putNowait([1, b]);
  t.is(jobs.getNowait()[1], a);

  const custom = new PriorityQueue<{ p: number }>(0, { compare: (x, y) => y.p - x.p });
  for (const p of [1, 5, 3]) custom.putNowait({ p });
  t.deepEqual([custom.getNowait().p, custom.getNowait().p, custom.getNowait().p], [5, 3, 1]);
  t.throws(() => new PriorityQueue().putNowait({}), { code: 'ERR_INVALID_ARG_TYPE' });

  // many random items come out sorted
  const rand = prng(7);
  const big = new PriorityQueue<number>();
  const xs = Array.from({ length: 500 }, () => Math.floor(rand() * 100));
  for (const x of xs) big.putNowait(x);
  const sorted: number[] = [];
  while (big.size > 0) sorted.push(big.getNowait());
  t.deepEqual(sorted, [...xs].sort((p, q) => p - q));

  // a killed getter's item goes back where it belongs
  const pk = new PriorityQueue<number>();
  const victim = spawn(() => pk.get());
  await settle();
  pk.putNowait(5);
  victim.kill();
  await victim;
  pk.putNowait(7);
  t.deepEqual([pk.getNowait(), pk.getNowait()], [5, 7]);
});

test.serial('JoinableQueue: join waits for taskDone of every item; too many taskDone throws', async (t) => {
  const q = new JoinableQueue<number>();
  const done: number[] = [];
  const workers = [0, 1].map(() =>
    spawn(() => {
      for (const x of q) {
        sleep(1);
        done.push(x);
        q.taskDone();
      }
    }),
  );
  for (let i = 0; i < 6; i++) q.putNowait(i);
  t.is(q.unfinishedTasks, 6);
  t.false(await spawn(() => q.join(0)));
  t.true(await spawn(() => q.join()));
  t.is(done.length, 6);
  t.true(await q.joinAsync());
  t.true(q.join(), 'nothing unfinished: does not block, fine on the hub');
  const err = t.throws(() => q.taskDone(), { instanceOf: QueueTaskDoneError });
  t.is(err!.code, 'ERR_GREENSTACK_QUEUE_TASK_DONE');
  q.shutdown();
  await Promise.all(workers);
  const idle = new JoinableQueue<number>(0, { items: [9] });
  t.false(await idle.joinAsync({ timeout: 5 }));
  t.false(await spawn(() => idle.join({ timeout: 5 })));
  t.throws(() => idle.join(), { instanceOf: BlockingInHubError });
  idle.getNowait();
  idle.taskDone();
  t.true(await idle.joinAsync());
});

test.serial('async twins with timeout and signal: getAsync, putAsync, peekAsync', async (t) => {
  const q = new Queue<number>(1);
  await t.throwsAsync(q.getAsync({ timeout: 5 }), { instanceOf: QueueEmpty });
  await t.throwsAsync(q.getAsync(0), { instanceOf: QueueEmpty });
  await t.throwsAsync(q.peekAsync(5), { instanceOf: QueueEmpty });
  await q.putAsync(1);
  t.is(await q.peekAsync(), 1);
  await t.throwsAsync(q.putAsync(2, { timeout: 5 }), { instanceOf: QueueFull });
  const ac = new AbortController();
  const p = q.putAsync(3, { signal: ac.signal });
  ac.abort(new RangeError('no'));
  await t.throwsAsync(p, { instanceOf: RangeError });
  t.is(q.size, 1);
  t.is(await q.getAsync(), 1);
  // a fiber feeding promises
  const producer = spawn(() => {
    for (let i = 0; i < 5; i++) q.put(i);
  });
  const got: number[] = [];
  for (let i = 0; i < 5; i++) got.push(await q.getAsync());
  await producer;
  t.deepEqual(got, [0, 1, 2, 3, 4]);
});

test.serial('a blocked peek sees the item a put brings, without taking it', async (t) => {
  const q = new Queue<string>();
  const peeker = spawn(() => q.peek());
  const asyncPeek = q.peekAsync();
  await settle();
  q.putNowait('p');
  t.is(await peeker, 'p');
  t.is(await asyncPeek, 'p');
  t.is(q.size, 1);
});

for (const seed of [1, 2, 3, 4, 5]) {
  test.serial(`random interleavings (seed ${seed}): many producers and consumers, kills and timeouts; every item exactly once`, async (t) => {
    const rand = prng(seed);
    const maxsize = [0, 1, 2, 5][Math.floor(rand() * 4)];
    const q = new Queue<number>(maxsize);
    const PRODUCERS = 4;
    const PER = 60;
    const delivered: number[] = [];
    const pause = (): void => {
      const r = rand();
      if (r < 0.3) sleep(0);
      else if (r < 0.4) sleep(1);
    };
    const producers: Array<PromiseLike<unknown>> = [];
    for (let p = 0; p < PRODUCERS; p++) {
      const items = Array.from({ length: PER }, (_, i) => p * PER + i);
      if (p % 2 === 0) {
        producers.push(
          spawn(() => {
            for (const x of items) {
              // a put that times out did not happen: retry the same item
              for (;;) {
                try {
                  q.put(x, { timeout: rand() < 0.2 ? 1 : undefined });
                  break;
                } catch (err) {
                  if (!(err instanceof QueueFull)) throw err;
                }
              }
              pause();
            }
          }),
        );
      } else {
        producers.push(
          (async () => {
            for (const x of items) {
              await q.putAsync(x);
              if (rand() < 0.3) await delay(rand() < 0.5 ? 0 : 1);
            }
          })(),
        );
      }
    }
    const consume = (): Fiber =>
      spawn(() => {
        for (;;) {
          let x: number;
          try {
            x = q.get({ timeout: rand() < 0.2 ? 1 : undefined });
          } catch (err) {
            if (err instanceof QueueEmpty) continue;
            if (err instanceof QueueShutDown) return;
            throw err;
          }
          delivered.push(x);
          pause();
        }
      });
    const consumers: Fiber[] = [consume(), consume(), consume()];
    const asyncConsumer = (async () => {
      for await (const x of q) {
        delivered.push(x);
        if (rand() < 0.3) await delay(0);
      }
    })();
    // randomly kill consumers and replace them
    let kills = 0;
    const killer = spawn(() => {
      while (delivered.length < PRODUCERS * PER - 20) {
        sleep(1 + Math.floor(rand() * 3));
        const i = Math.floor(rand() * consumers.length);
        consumers[i].kill();
        kills++;
        consumers[i] = consume();
      }
    });
    await Promise.all(producers);
    await killer;
    while (q.size > 0) await delay(1);
    q.shutdown();
    await Promise.all([...consumers, asyncConsumer]);
    const sorted = [...delivered].sort((a, b) => a - b);
    t.is(sorted.length, PRODUCERS * PER, `maxsize ${maxsize}, ${kills} kills`);
    t.deepEqual(
      sorted,
      Array.from({ length: PRODUCERS * PER }, (_, i) => i),
    );
    t.true(kills > 0);
  });
}

test.serial('bad arguments are typed errors', async (t) => {
  t.throws(() => new Queue(-1), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new Queue(1.5), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new Queue('3' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => new Queue(1, { items: 5 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => new Queue(1, { items: [1, 2] }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new Queue(1, 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => new PriorityQueue(0, { compare: 1 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  const q = new Queue<number>();
  t.throws(() => q.get({ timeout: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => q.put(1, { signal: 3 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => q.shutdown('yes' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await t.throwsAsync(q.getAsync(true as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await t.throwsAsync(q.putAsync(1, { timeout: -3 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.is(q.size, 0);
});
