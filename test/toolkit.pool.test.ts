// toolkit.pool.test.ts: Pool and Group: bounded spawn, join, kill, failing tasks, apply, map/imap (lazy, ordered, errors), async twins.
import test from 'ava';
import {
  BlockingInHubError,
  Event,
  Fiber,
  FiberExit,
  Group,
  Pool,
  sleep,
  spawn,
  TimeoutError,
  withTimeout,
} from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { settle } from './helpers/toolkit.js';
import { runFixture } from './helpers/subprocess.js';

checkLeaks(test);


test.serial('Pool never runs more than size fibers; spawn blocks while full', async (t) => {
  const pool = new Pool(3);
  t.is(pool.size, 3);
  let running = 0;
  let peak = 0;
  const task = (ms: number) => {
    running++;
    peak = Math.max(peak, running);
    sleep(ms);
    running--;
  };
  const spawner = spawn(() => {
    for (let i = 0; i < 12; i++) {
      pool.spawn(task, 1 + (i % 3));
      t.true(pool.count <= 3);
    }
    pool.join();
  });
  await spawner;
  t.is(peak, 3);
  t.is(pool.count, 0);
  t.is(pool.freeCount(), 3);
  t.false(pool.full());
});

test.serial('blocked spawners are served FIFO (fibers); spawn on the hub throws when full', async (t) => {
  const pool = new Pool(1);
  const order: string[] = [];
  pool.spawn(() => sleep(5)); // from the hub: room, so it does not block
  t.true(pool.full());
  t.throws(() => pool.spawn(() => 0), { instanceOf: BlockingInHubError });
  const spawners = ['a', 'b', 'c'].map((name, i) =>
    spawn(() => {
      sleep(i * 0.5);
      pool.spawn(() => {
        order.push(name);
        sleep(1);
      });
    }),
  );
  await Promise.all(spawners);
  t.true(await spawn(() => pool.join()));
  t.deepEqual(order, ['a', 'b', 'c']);
});

test.serial('a fiber killed while blocked in spawn does not take or lose a slot', async (t) => {
  const pool = new Pool(1);
  const gate = new Event();
  const first = pool.spawn(() => gate.wait());
  const victim = spawn(() => pool.spawn(() => 'never'));
  const timed = spawn(() => withTimeout(3, () => pool.spawn(() => 'never'), { value: 'timed out' }));
  await settle();
  victim.kill();
  t.is(await timed, 'timed out');
  await victim;
  gate.set();
  await first;
  t.true(await pool.joinAsync());
  t.is(pool.freeCount(), 1);
  t.is(await spawn(() => pool.spawn(() => 'ran').get()), 'ran');
});

test.serial('a Pool task that throws: its error reaches get()/join; the slot is freed', async (t) => {
  const pool = new Pool(2);
  const bad = pool.spawn(() => {
    sleep(1);
    throw new RangeError('task failed');
  });
  const good = pool.spawn(() => 'ok');
  await t.throwsAsync(async () => bad, { instanceOf: RangeError });
  t.is(await good, 'ok');
  await settle();
  t.is(pool.count, 0);
  t.is(pool.freeCount(), 2);
  // join({ raiseError }) throws the first failure while joining
  const joiner = spawn(() => {
    const f = pool.spawn(() => {
      sleep(2);
      throw new SyntaxError('second');
    });
    pool.spawn(() => sleep(30));
    try {
      pool.join({ raiseError: true });
      return 'joined';
    } catch (err) {
      return err instanceof SyntaxError && f.dead ? 'raised' : String(err);
    }
  });
  t.is(await joiner, 'raised');
  t.true(await pool.joinAsync());
});

test.serial('a failing Pool task nobody observes is reported, not swallowed by the pool', (t) => {
  const r = runFixture('toolkit-pool-unhandled.js', { timeout: 20_000 });
  t.is(r.status, 1);
  t.regex(r.stderr, /task failed and nobody looked/);
  t.regex(r.stdout, /exit 1 /);
});

test.serial('join timeout, kill, add/discard, killOne, Group iteration', async (t) => {
  const group = new Group();
  t.is(group.size, Infinity);
  t.is(group.freeCount(), Infinity);
  const a = group.spawn(() => sleep(10_000));
  const b = group.spawn(() => sleep(10_000));
  const outside = spawn(() => sleep(10_000));
  group.add(outside);
  group.add(outside);
  t.is(group.count, 3);
  t.deepEqual([...group], [a, b, outside]);
  t.false(await spawn(() => group.join(5)));
  t.false(await group.joinAsync({ timeout: 5 }));
  t.false(group.join({ timeout: 0 }));
  group.discard(outside);
  t.false(group.has(outside));
  group.killOne(a);
  await spawn(() => group.kill());
  t.true(a.dead && b.dead);
  await settle();
  t.is(group.count, 0);
  t.true(group.join(), 'empty: does not block, fine on the hub');
  outside.kill();
  await outside;
  // kill from the hub does not block; joinAsync waits for the deaths
  const pool = new Pool(2);
  const fibers = [pool.spawn(() => sleep(10_000)), pool.spawn(() => sleep(10_000))];
  pool.kill();
  t.true(await pool.joinAsync());
  t.true(fibers.every((f) => f.dead && (f.value as unknown) instanceof FiberExit));
  t.throws(() => new Group([outside]).join(), { instanceOf: BlockingInHubError }, 'a dead member leaves on the next turn');
});

test.serial('a member calling kill() kills the others, not itself', async (t) => {
  const group = new Group();
  const others = [group.spawn(() => sleep(10_000)), group.spawn(() => sleep(10_000))];
  const self = group.spawn(() => {
    sleep(1);
    group.kill();
    return others.every((f) => f.dead) ? 'others dead, me alive' : 'no';
  });
  t.is(await self, 'others dead, me alive');
});

test.serial('kill and Timeout of fibers blocked in join and waitAvailable', async (t) => {
  const pool = new Pool(1);
  const busy = pool.spawn(() => sleep(10_000));
  const blockers: Array<() => unknown> = [() => pool.join(), () => pool.join({ raiseError: true }), () => pool.waitAvailable()];
  for (const block of blockers) {
    const victim = spawn(block);
    const timed = spawn(() => withTimeout(5, block, { value: 'timed out' }));
    await settle();
    victim.kill();
    t.is(await timed, 'timed out');
    await victim;
    t.true((victim.value as unknown) instanceof FiberExit);
  }
  busy.kill();
  t.true(await pool.joinAsync());
  t.is(pool.freeCount(), 1);
});

test.serial('Pool.add takes a slot (blocking, with timeout); discard frees it', async (t) => {
  const pool = new Pool(1);
  const f1 = spawn(() => sleep(10_000));
  const f2 = spawn(() => sleep(10_000));
  pool.add(f1);
  t.throws(() => pool.add(f2, { timeout: 0 }), { instanceOf: TimeoutError });
  const r = await spawn(() => {
    try {
      pool.add(f2, 5);
    } catch (err) {
      return err instanceof TimeoutError;
    }
  });
  t.true(r);
  pool.discard(f1);
  t.is(pool.freeCount(), 1);
  pool.add(f2);
  t.is(pool.freeCount(), 0);
  f1.kill();
  f2.kill();
  await Promise.all([f1, f2]);
  await settle();
  t.is(pool.freeCount(), 1);
});

test.serial('waitAvailable / waitAvailableAsync', async (t) => {
  const pool = new Pool(1);
  t.is(pool.waitAvailable(), 1);
  const gate = new Event();
  pool.spawn(() => gate.wait());
  t.is(await spawn(() => pool.waitAvailable({ timeout: 1 })), 0);
  setTimeout(() => gate.set(), 2);
  t.is(await pool.waitAvailableAsync(), 1);
  t.is(await spawn(() => pool.waitAvailable()), 1);
  t.is(await new Group().waitAvailableAsync(), Infinity);
});

test.serial('apply runs in a member (directly when called from one); applyAsync from the hub', async (t) => {
  const pool = new Pool(1);
  const r = await spawn(() =>
    pool.apply((x: number, y: number) => {
      // from inside a member of a full pool: runs directly instead of deadlocking
      const inner = pool.apply((z: number) => z * 10, [x]);
      return inner + y;
    }, [4, 2]),
  );
  t.is(r, 42);
  t.is(await pool.applyAsync((s: string) => s.toUpperCase(), ['x']), 'X');
  await t.throwsAsync(
    pool.applyAsync(() => {
      throw new TypeError('in task');
    }),
    { instanceOf: TypeError },
  );
  t.throws(() => pool.apply(() => 1), { instanceOf: BlockingInHubError });
  const hubFirst = pool.spawn(() => sleep(5));
  const queued = pool.applyAsync(() => 'waited for a slot');
  t.is(await queued, 'waited for a slot');
  t.true(hubFirst.dead);
});

test.serial('map keeps input order; imapUnordered yields in completion order', async (t) => {
  const pool = new Pool(4);
  const items = Array.from({ length: 20 }, (_, i) => i);
  const mapped = await spawn(() =>
    pool.map((x: number) => {
      sleep((x * 7) % 5);
      return x * x;
    }, items),
  );
  t.deepEqual(
    mapped,
    items.map((x) => x * x),
  );
  const order = await spawn(() => [...pool.imapUnordered((ms: number) => (sleep(ms), ms), [120, 1, 60, 25])]);
  t.deepEqual(order, [1, 25, 60, 120]);
  t.deepEqual(await spawn(() => [...pool.imap((x: number) => (sleep(5 - x), x), [0, 1, 2, 3, 4])]), [0, 1, 2, 3, 4]);
  t.deepEqual(await spawn(() => pool.map((x: number) => x, [])), []);
  t.deepEqual(await spawn(() => new Group().map((x: number) => x + 1, new Set([1, 2]))), [2, 3]);
  t.is(pool.count, 0);
});

test.serial('imap is lazy: input is pulled only as the consumer goes, at most maxsize ahead', async (t) => {
  const pool = new Pool(2);
  let pulled = 0;
  function* input() {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield i;
    }
  }
  const r = await spawn(() => {
    const it = pool.imap((x: number) => x, input(), { maxsize: 3 });
    const first = [it.next().value, it.next().value];
    sleep(5);
    const pulledEarly = pulled;
    it.return!();
    return [first, pulledEarly];
  });
  t.deepEqual(r[0], [0, 1]);
  t.true((r[1] as number) <= 2 + 3 + 1, `pulled ${r[1]}`);
  t.is(pool.count, 0);
  // the default look-ahead is twice the pool size
  pulled = 0;
  await spawn(() => {
    const it = pool.imapUnordered((x: number) => x, input());
    it.next();
    sleep(5);
    it.return!();
  });
  t.true(pulled <= 2 * 2 + 2, `pulled ${pulled}`);
});

test.serial('a task error in map/imap: rest killed, error thrown to the consumer after they are dead', async (t) => {
  const pool = new Pool(3);
  const finished: number[] = [];
  const killed: number[] = [];
  const run = (x: number) => {
    try {
      sleep(x === 2 ? 2 : 10_000);
      if (x === 2) throw new RangeError(`task ${x}`);
      finished.push(x);
      return x;
    } catch (err) {
      if (err instanceof FiberExit) killed.push(x);
      throw err;
    }
  };
  const err = await t.throwsAsync(async () => spawn(() => pool.map(run, [0, 1, 2, 3, 4, 5])), { instanceOf: RangeError });
  t.is(err!.message, 'task 2');
  t.deepEqual(finished, []);
  t.deepEqual(killed.sort(), [0, 1], 'the two others running were killed; 3..5 never started');
  t.is(pool.count, 0, 'all dead when map threw');
  await settle();
  t.is(pool.freeCount(), 3);
  // imap: the results before the failure are delivered, then the error
  const seen: number[] = [];
  const r = await spawn(() => {
    try {
      for (const x of pool.imap((v: number) => {
        sleep(v);
        if (v === 6) throw new Error('six');
        return v;
      }, [1, 2, 6, 40, 40])) seen.push(x);
      return 'no error';
    } catch (e) {
      return (e as Error).message;
    }
  });
  t.is(r, 'six');
  t.deepEqual(seen, [1, 2]);
  await settle();
  t.is(pool.count, 0);
  // an input iterator that throws ends the run the same way
  function* badInput() {
    yield 1;
    throw new TypeError('bad input');
  }
  await t.throwsAsync(async () => spawn(() => pool.map((x: number) => x, badInput())), { instanceOf: TypeError });
});

test.serial('breaking out of imap, or killing the consumer, kills the tasks still running', async (t) => {
  const pool = new Pool(4);
  const started: number[] = [];
  const task = (x: number) => {
    started.push(x);
    sleep(x === 0 ? 1 : 10_000);
    return x;
  };
  const r = await spawn(() => {
    for (const x of pool.imapUnordered(task, [0, 1, 2, 3, 4, 5])) return x;
    return -1;
  });
  t.is(r, 0);
  t.is(pool.count, 0, 'break killed the rest before returning');
  const consumer = spawn(() => pool.map(task, [1, 2, 3]));
  await settle();
  t.is(pool.count, 3);
  consumer.kill();
  await consumer;
  t.is(pool.count, 0);
  // pool.kill() from outside while map runs: map throws the tasks' FiberExit to its
  // consumer (here uncaught, so the consumer fiber ends as killed too)
  const victimMap = spawn(() => pool.map(task, [1, 2]));
  await settle();
  await spawn(() => pool.kill());
  t.true(((await victimMap) as unknown) instanceof FiberExit);
});

test.serial('map shares the pool FIFO with other spawners; Group.map is unbounded', async (t) => {
  const pool = new Pool(2);
  const log: string[] = [];
  const gate = new Event();
  const mapper = spawn(() => pool.map((x: number) => (gate.wait(), log.push(`m${x}`), x), [1, 2, 3, 4]));
  await settle(); // the mapper waits to spawn m3
  const other = spawn(() => pool.spawn(() => log.push('other')).join());
  await settle(); // other waits behind it
  gate.set();
  t.deepEqual(await mapper, [1, 2, 3, 4]);
  await other;
  t.true(log.indexOf('other') < log.indexOf('m4'), log.join(','));
  const g = new Group();
  let peak = 0;
  let running = 0;
  await spawn(() =>
    g.map(() => {
      running++;
      peak = Math.max(peak, running);
      sleep(2);
      running--;
    }, Array.from({ length: 20 })),
  );
  t.is(peak, 20);
});

test.serial('async twins from the hub: mapAsync, imapAsync, imapUnorderedAsync, joinAsync', async (t) => {
  const pool = new Pool(3);
  t.deepEqual(await pool.mapAsync((x: number) => (sleep(3 - x), x * 2), [0, 1, 2, 3]), [0, 2, 4, 6]);
  const ordered: number[] = [];
  for await (const x of pool.imapAsync((v: number) => (sleep(v), v), [3, 1, 2])) ordered.push(x);
  t.deepEqual(ordered, [3, 1, 2]);
  const unordered: number[] = [];
  for await (const x of pool.imapUnorderedAsync((v: number) => (sleep(v * 40), v), [3, 1, 2])) unordered.push(x);
  t.deepEqual(unordered, [1, 2, 3]);
  await t.throwsAsync(
    pool.mapAsync((x: number) => {
      sleep(x);
      if (x === 1) throw new Error('one');
      return x;
    }, [1, 30, 30]),
    { message: 'one' },
  );
  t.is(pool.count, 0);
  for await (const x of pool.imapUnorderedAsync((v: number) => (sleep(v), v), [1, 10_000, 10_000])) {
    t.is(x, 1);
    break;
  }
  t.is(pool.count, 0, 'leaving for-await killed the rest');
  t.throws(() => pool.map((x: number) => x, [1]), { instanceOf: BlockingInHubError });
});

test.serial('return() on an async imap iterator while next() waits ends that next() and kills the tasks', async (t) => {
  const pool = new Pool(2);
  const it = pool.imapAsync((ms: number) => (sleep(ms), ms), [10_000, 10_000]);
  const pending = it.next();
  await settle();
  t.is(pool.count, 2);
  await it.return!();
  t.deepEqual(await pending, { done: true, value: undefined });
  t.is(pool.count, 0);
});

test.serial('bad arguments are typed errors', async (t) => {
  t.throws(() => new Pool(0), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new Pool(2.5), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new Pool('3' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => new Group(5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  const pool = new Pool(1);
  t.throws(() => pool.spawn(null as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => pool.add({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => pool.join({ raiseError: 1 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => pool.join(-1), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => pool.imap((x: number) => x, 5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => pool.imap((x: number) => x, [], { maxsize: 0 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => pool.imapUnordered(7 as never, []), { code: 'ERR_INVALID_ARG_TYPE' });
  await t.throwsAsync(pool.mapAsync(null as never, []), { code: 'ERR_INVALID_ARG_TYPE' });
  await t.throwsAsync(pool.applyAsync(() => 1, 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await t.throwsAsync(async () => spawn(() => pool.apply(() => 1, 3 as never)), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => pool.killOne({} as Fiber), { code: 'ERR_INVALID_ARG_TYPE' });
  t.is(pool.freeCount(), 1, 'no slot taken by a failed call');
});
