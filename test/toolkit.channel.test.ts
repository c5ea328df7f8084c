// toolkit.channel.test.ts: Channel (rendezvous): put waits for a getter, FIFO both ways, kills, shutdown, async twins.
import test from 'ava';
import {
  BlockingInHubError,
  Channel,
  Fiber,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  sleep,
  spawn,
  withTimeout,
} from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { settle } from './helpers/toolkit.js';

checkLeaks(test);


test.serial('put blocks until a getter takes the item; nothing is buffered', async (t) => {
  const ch = new Channel<number>();
  t.is(ch.maxsize, 0);
  t.true(ch.full());
  t.true(ch.empty());
  const log: string[] = [];
  const producer = spawn(() => {
    ch.put(1);
    log.push('put 1 returned');
    ch.put(2);
    log.push('put 2 returned');
  });
  await settle();
  t.deepEqual(log, [], 'no getter yet: put waits');
  t.false(ch.empty(), 'a putter is waiting: getNowait would succeed');
  t.is(ch.peekNowait(), 1);
  t.is(ch.size, 0);
  t.is(ch.getNowait(), 1);
  await settle();
  t.deepEqual(log, ['put 1 returned']);
  t.is(await spawn(() => ch.get()), 2);
  await producer;
  t.throws(() => ch.putNowait(3), { instanceOf: QueueFull }, 'no getter waiting');
  t.throws(() => ch.getNowait(), { instanceOf: QueueEmpty });
  t.throws(() => ch.put(3), { instanceOf: BlockingInHubError });
});

test.serial('putNowait succeeds when a getter waits; getters and putters are FIFO', async (t) => {
  const ch = new Channel<string>();
  const g1 = spawn(() => ch.get());
  await settle();
  const g2 = ch.getAsync();
  await settle();
  t.false(ch.full());
  ch.putNowait('a');
  ch.putNowait('b');
  t.is(await g1, 'a');
  t.is(await g2, 'b');
  const p1 = spawn(() => ch.put('x'));
  await settle();
  const p2 = ch.putAsync('y');
  await settle();
  t.deepEqual(await spawn(() => [ch.get(), ch.get()]), ['x', 'y']);
  await Promise.all([p1, p2]);
});

test.serial('a getter killed right after being handed an item: the next getter gets it', async (t) => {
  const ch = new Channel<number>();
  const victim = spawn(() => ch.get());
  const next = spawn(() => {
    sleep(1);
    return ch.get();
  });
  await settle();
  ch.putNowait(7);
  victim.kill();
  t.is(await next, 7);
  await victim;
  // no getter left: the channel holds the item until one comes
  const v2 = spawn(() => ch.get());
  await settle();
  ch.putNowait(8);
  v2.kill();
  await v2;
  t.is(ch.size, 1);
  t.is(await ch.getAsync(), 8);
  t.is(ch.size, 0);
});

test.serial('kill and Timeout of fibers blocked in put and get', async (t) => {
  const ch = new Channel<number>();
  for (const block of [() => ch.get(), () => ch.put(1)]) {
    const victim: Fiber = spawn(block);
    const timed = spawn(() => withTimeout(5, block, { value: 'timed out' }));
    await settle();
    victim.kill();
    t.is(await timed, 'timed out');
    await victim;
    t.true(ch.empty());
    t.true(ch.full());
  }
  await t.throwsAsync(async () => spawn(() => ch.get(5)), { instanceOf: QueueEmpty });
  await t.throwsAsync(async () => spawn(() => ch.put(1, 5)), { instanceOf: QueueFull });
  await t.throwsAsync(ch.putAsync(1, 5), { instanceOf: QueueFull });
  await t.throwsAsync(ch.getAsync(5), { instanceOf: QueueEmpty });
});

test.serial('shutdown wakes blocked getters and putters; iteration ends', async (t) => {
  const ch = new Channel<number>();
  const getter = spawn(() => ch.get());
  const putter = spawn(() => {
    const c2 = new Channel<number>();
    const inner = spawn(() => c2.put(1));
    sleep(2);
    c2.shutdown();
    try {
      inner.get();
    } catch (err) {
      return err instanceof QueueShutDown;
    }
    return false;
  });
  await settle();
  ch.shutdown();
  await t.throwsAsync(async () => getter, { instanceOf: QueueShutDown });
  t.true(await putter);
  const ch2 = new Channel<number>();
  const producer = spawn(() => {
    for (let i = 0; i < 4; i++) ch2.put(i);
    ch2.shutdown();
  });
  const got: number[] = [];
  for await (const x of ch2) got.push(x);
  await producer;
  t.deepEqual(got, [0, 1, 2, 3]);
});

test.serial('a fiber and async code ping-pong over two channels', async (t) => {
  const ping = new Channel<number>();
  const pong = new Channel<number>();
  const echo = spawn(() => {
    for (const x of ping) pong.put(x * 2);
  });
  const out: number[] = [];
  for (let i = 0; i < 50; i++) {
    await ping.putAsync(i);
    out.push(await pong.getAsync());
  }
  ping.shutdown();
  await echo;
  t.deepEqual(
    out,
    Array.from({ length: 50 }, (_, i) => i * 2),
  );
});
