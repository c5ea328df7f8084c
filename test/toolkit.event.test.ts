// toolkit.event.test.ts: Event and AsyncResult: waiting from fibers and promises, timeouts, kills, links.
import test from 'ava';
import {
  AsyncResult,
  BlockingInHubError,
  Event,
  FiberExit,
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

test.serial('Event: set() wakes every fiber and promise waiting, clear() re-arms it', async (t) => {
  const ev = new Event();
  const fibers = [1, 2, 3].map((n) => spawn(() => (ev.wait() ? n : -n)));
  const promised = ev.waitAsync();
  await settle();
  t.false(ev.isSet());
  t.false(ev.ready);
  ev.set();
  t.true(ev.isSet());
  t.deepEqual(await Promise.all(fibers), [1, 2, 3]);
  t.true(await promised);
  // set again: no-op; already set: wait returns at once, even on the hub with timeout 0
  ev.set();
  t.true(ev.wait({ timeout: 0 }));
  ev.clear();
  t.false(ev.wait({ timeout: 0 }));
  t.false(ev.wait(0));
  t.false(await ev.waitAsync({ timeout: 0 }));
});

test.serial('Event.wait timeout returns false; abort throws the reason', async (t) => {
  const ev = new Event();
  const started = Date.now();
  t.false(await spawn(() => ev.wait({ timeout: 30 })));
  t.true(Date.now() - started >= 25);
  t.false(await ev.waitAsync(20));
  const ac = new AbortController();
  const f = spawn(() => ev.wait({ signal: ac.signal }));
  const p = ev.waitAsync({ signal: ac.signal });
  await settle();
  ac.abort(new RangeError('stop'));
  await t.throwsAsync(async () => f, { instanceOf: RangeError, message: 'stop' });
  await t.throwsAsync(p, { instanceOf: RangeError, message: 'stop' });
  // an already-aborted signal throws before waiting, even if the flag is set
  ev.set();
  t.throws(() => ev.wait({ signal: ac.signal }), { instanceOf: RangeError });
  await t.throwsAsync(ev.waitAsync({ signal: ac.signal }), { instanceOf: RangeError });
});

test.serial('Event: set() from a hub callback and from a promise reaction wakes fibers', async (t) => {
  const a = new Event();
  const b = new Event();
  const f = spawn(() => {
    a.wait();
    b.wait();
    return 'both';
  });
  setTimeout(() => a.set(), 5);
  void Promise.resolve().then(() => delay(10)).then(() => b.set());
  t.is(await f, 'both');
});

test.serial('Event: kill and Timeout of a waiting fiber; the event still works for others', async (t) => {
  const ev = new Event();
  const victim = spawn(() => ev.wait());
  const timed = spawn(() => withTimeout(20, () => ev.wait(), { value: 'timed out' }));
  const other = spawn(() => ev.wait());
  await settle();
  victim.kill();
  t.is(await timed, 'timed out');
  await victim;
  t.true((victim.value as unknown) instanceof FiberExit);
  ev.set();
  t.true(await other);
});

test.serial('Event: blocking on the hub throws BlockingInHubError', (t) => {
  const ev = new Event();
  const err = t.throws(() => ev.wait(), { instanceOf: BlockingInHubError });
  t.is((err as BlockingInHubError).code, 'ERR_GREENSTACK_BLOCKING_IN_HUB');
});

test.serial('Event.link calls back on the hub once set (at once if already set); unlink cancels', async (t) => {
  const ev = new Event();
  const calls: string[] = [];
  const a = (e: Event) => calls.push(`a:${e === ev}`);
  const b = () => calls.push('b');
  ev.link(a);
  ev.link(b);
  ev.unlink(b);
  ev.set();
  t.deepEqual(calls, [], 'links run on the hub later, not inside set()');
  await settle();
  t.deepEqual(calls, ['a:true']);
  ev.link(() => calls.push('late'));
  await settle();
  t.deepEqual(calls, ['a:true', 'late']);
  t.throws(() => ev.link(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
});

test.serial('AsyncResult: get() from fibers, await on the hub, set from a timer', async (t) => {
  const r = new AsyncResult<number>();
  const f = spawn(() => r.get() + 1);
  const g = spawn(() => r.wait());
  t.false(r.ready);
  t.throws(() => r.getNowait(), { instanceOf: TimeoutError });
  setTimeout(() => r.set(41), 5);
  t.is(await r, 41);
  t.is(await f, 42);
  t.true(await g);
  t.true(r.ready);
  t.true(r.successful);
  t.is(r.value, 41);
  t.is(r.error, undefined);
  t.is(r.getNowait(), 41);
  t.is(await r.getAsync(), 41);
  t.true(await r.waitAsync());
  // gevent: a later set() replaces the outcome for later readers
  r.set(7);
  t.is(r.get(), 7, 'ready: get() does not block, so it works on the hub');
});

test.serial('AsyncResult: setException propagates to get(), getAsync(), await and then()', async (t) => {
  const r = new AsyncResult<string>();
  const f = spawn(() => r.get());
  const p = r.getAsync();
  const w = spawn(() => r.wait());
  await settle();
  r.setException(new SyntaxError('bad'));
  await t.throwsAsync(async () => f, { instanceOf: SyntaxError });
  await t.throwsAsync(p, { instanceOf: SyntaxError });
  await t.throwsAsync(async () => r, { instanceOf: SyntaxError });
  t.true(await w, 'wait() does not throw the error');
  t.false(r.successful);
  t.true(r.error instanceof SyntaxError);
  t.throws(() => r.getNowait(), { instanceOf: SyntaxError });
});

test.serial('AsyncResult: timeouts, abort, kill of a waiting fiber', async (t) => {
  const r = new AsyncResult<number>();
  await t.throwsAsync(async () => spawn(() => r.get({ timeout: 10 })), { instanceOf: TimeoutError });
  await t.throwsAsync(r.getAsync({ timeout: 10 }), { instanceOf: TimeoutError, code: 'ERR_GREENSTACK_TIMEOUT' });
  t.false(await spawn(() => r.wait(10)));
  t.false(await r.waitAsync(10));
  await t.throwsAsync(r.getAsync({ timeout: 0 }), { instanceOf: TimeoutError });
  const ac = new AbortController();
  const p = r.getAsync({ signal: ac.signal });
  const victim = spawn(() => r.get());
  const timed = spawn(() => {
    using _t = Timeout.startNew(10);
    try {
      return r.get();
    } catch (err) {
      return err instanceof TimeoutError ? -1 : -2;
    }
  });
  await settle();
  ac.abort();
  t.is(((await p.catch((e: unknown) => e)) as Error).name, 'AbortError', 'the default abort reason');
  victim.kill();
  await victim;
  t.is(await timed, -1);
  const ok = spawn(() => r.get());
  await settle();
  r.set(3);
  t.is(await ok, 3);
  t.throws(() => new AsyncResult().get(), { instanceOf: BlockingInHubError });
});

test.serial('AsyncResult.link fires once when set; unlinked callbacks do not', async (t) => {
  const r = new AsyncResult<number>();
  const seen: number[] = [];
  const cb = (x: AsyncResult<number>) => seen.push(x.value!);
  r.link(cb);
  r.link(() => seen.push(-1));
  r.unlink(cb);
  spawn(() => {
    sleep(2);
    r.set(9);
  });
  await r;
  await settle();
  t.deepEqual(seen, [-1]);
});

test.serial('bad options are typed errors; promise twins reject instead of throwing', async (t) => {
  const ev = new Event();
  t.throws(() => ev.wait(-1), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ev.wait({ timeout: 'x' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ev.wait('x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ev.wait({ signal: {} as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  await t.throwsAsync(ev.waitAsync({ timeout: NaN }), { code: 'ERR_INVALID_ARG_VALUE' });
  const r = new AsyncResult();
  await t.throwsAsync(r.getAsync(null as never), { code: 'ERR_INVALID_ARG_TYPE' });
});
