// toolkit.iwait.test.ts: iwait/waitAny/waitAll and async twins over fibers, Events and AsyncResults.
import test from 'ava';
import {
  AsyncResult,
  BlockingInHubError,
  Event,
  Fiber,
  iwait,
  iwaitAsync,
  sleep,
  spawn,
  waitAll,
  waitAllAsync,
  waitAny,
  waitAnyAsync,
  withTimeout,
  type Waitable,
} from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { settle } from './helpers/toolkit.js';

checkLeaks(test);


test.serial('iwait yields fibers, events and results in the order they become ready', async (t) => {
  const ev = new Event();
  const res = new AsyncResult<number>();
  const goFast = new Event();
  const goSlow = new Event();
  const slow = spawn(() => goSlow.wait());
  const fast = spawn(() => goFast.wait());
  const already = new Event();
  already.set();
  const names = new Map<Waitable, string>([
    [ev, 'event'],
    [res, 'result'],
    [slow, 'slow'],
    [fast, 'fast'],
    [already, 'already'],
  ]);
  const order: string[] = [];
  const consumer = spawn(() => {
    for (const o of iwait(names.keys())) order.push(names.get(o)!);
  });
  // One becomes ready per step, each after iwait has taken the one before.
  for (const step of [() => goFast.set(), () => res.set(1), () => ev.set(), () => goSlow.set()]) {
    await settle();
    step();
  }
  await consumer;
  t.deepEqual(order, ['already', 'fast', 'result', 'event', 'slow']);
});

test.serial('count stops early; timeout ends the iteration quietly', async (t) => {
  const gates = [new Event(), new Event(), new Event()];
  const fibers = [40, 5, 10].map((n, i) => spawn(() => (gates[i]!.wait(), n)));
  const firstTwo = spawn(() => [...iwait(fibers, { count: 2 })].map((f) => f.value));
  for (const i of [1, 2]) {
    await settle();
    gates[i]!.set();
  }
  t.deepEqual(await firstTwo, [5, 10]);
  const ev = new Event();
  const got = await spawn(() => [...iwait([ev, fibers[0]!], { timeout: 10 })]);
  t.deepEqual(got, []);
  t.deepEqual(await spawn(() => [...iwait([ev], 0)]), []);
  t.deepEqual(await spawn(() => [...iwait(fibers, { count: 0 })]), []);
  gates[0]!.set();
  await Promise.all(fibers);
});

test.serial('waitAny / waitAll', async (t) => {
  const a = new Event();
  const b = new AsyncResult<string>();
  setTimeout(() => b.set('b'), 5);
  // (compared inside the fiber: a fiber returning a thenable AsyncResult would be unwrapped by await)
  t.true(await spawn(() => waitAny<Waitable>([a, b]) === b));
  t.true(await spawn(() => waitAny([a], 5) === undefined));
  const fibers = [3, 1, 2].map((ms) => spawn(() => (sleep(ms), ms)));
  const all = await spawn(() => waitAll(fibers));
  t.is(all.length, 3);
  t.true(all.every((f) => f.dead));
  t.true(await spawn(() => {
    const ready = waitAll<Waitable>([a, b], { timeout: 5 });
    return ready.length === 1 && ready[0] === b;
  }));
  // everything ready already: no waiting, so it even works on the hub
  t.deepEqual(waitAll([b]), [b]);
  t.is(waitAny(fibers), fibers[0]);
  t.throws(() => waitAny([a]), { instanceOf: BlockingInHubError });
});

test.serial('async twins on the hub: iwaitAsync, waitAnyAsync, waitAllAsync, with timeout and signal', async (t) => {
  const ev = new Event();
  const res = new AsyncResult<number>();
  const goF = new Event();
  const f = spawn(() => (goF.wait(), 'f'));
  const order: string[] = [];
  const collected = (async () => {
    for await (const o of iwaitAsync<Waitable>([f, ev, res])) order.push(o === f ? 'f' : o === ev ? 'ev' : 'res');
  })();
  for (const step of [() => res.set(1), () => ev.set(), () => goF.set()]) {
    await settle();
    step();
  }
  await collected;
  t.deepEqual(order, ['res', 'ev', 'f']);
  const never = new Event();
  t.deepEqual(await waitAnyAsync([never], 5), []);
  const [first] = await waitAnyAsync([never, ev]);
  t.is(first, ev);
  const [fiber] = await waitAnyAsync([f]);
  t.is(fiber, f, 'a fiber comes back as the fiber, not its value');
  const ready = await waitAllAsync<Waitable>([never, res], { timeout: 5 });
  t.true(ready.length === 1 && ready[0] === res);
  const ac = new AbortController();
  const p = waitAllAsync([never], { signal: ac.signal });
  ac.abort(new RangeError('stop'));
  await t.throwsAsync(p, { instanceOf: RangeError });
  t.is((await waitAllAsync([f]))[0], f);
});

test.serial('kill and Timeout of a fiber in iwait; links are removed when iteration ends', async (t) => {
  const ev = new Event();
  const victim = spawn(() => [...iwait([ev])]);
  const timed = spawn(() => withTimeout(5, () => waitAll([ev]), { value: 'timed out' }));
  const aborted = spawn(() => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('aborted')), 3);
    try {
      return waitAny([ev], { signal: ac.signal });
    } catch (err) {
      return (err as Error).message;
    }
  });
  await settle();
  victim.kill();
  t.is(await timed, 'timed out');
  t.is(await aborted, 'aborted');
  await victim;
  // early exit from iwait: the remaining objects are unlinked
  const fibers: Fiber[] = [spawn(() => sleep(1)), spawn(() => sleep(20))];
  await spawn(() => {
    for (const f of iwait(fibers)) {
      t.is(f, fibers[0]);
      break;
    }
  });
  // a Waitable that records what iwait does with it
  const calls: string[] = [];
  const linked = new Set<unknown>();
  const probe: Waitable = {
    ready: false,
    link(cb) {
      calls.push('link');
      linked.add(cb);
    },
    unlink(cb) {
      calls.push(linked.delete(cb) ? 'unlink' : 'unlink unknown');
    },
  };
  const waiter = spawn(() => [...iwait([probe])]);
  await settle();
  waiter.kill();
  await waiter;
  t.deepEqual(calls, ['link', 'unlink'], 'the killed iwait removed its link');
  const more = spawn(() => [...iwait([probe], { timeout: 1 })]);
  t.deepEqual(await more, []);
  t.deepEqual(calls, ['link', 'unlink', 'link', 'unlink'], 'and so did the one that timed out');
  await fibers[1];
});

test.serial('bad arguments are typed errors', (t) => {
  t.throws(() => iwait(5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => iwait([{}] as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => iwait([new Event()], { count: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => iwait([new Event()], { count: '1' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => iwait([new Event()], { timeout: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => waitAll([new Event()], 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
});
