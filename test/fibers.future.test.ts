// fibers.future.test.ts: greenstack/future: Future's API, its error paths, fiber futures, wrap, promises, detach.
import * as fs from 'node:fs';
import test from 'ava';
import { BlockingInHubError, FutureNotReadyError, FutureResolvedError, sleep, spawn } from 'greenstack';
import Fiber from 'greenstack/fibers';
import Future from 'greenstack/future';
import { checkLeaks } from './helpers/leaks.js';
import { runFixture } from './helpers/subprocess.js';

checkLeaks(test);

function timer(ms: number): InstanceType<typeof Future> {
  const future = new Future();
  const done = (): void => future.return();
  if (ms > 0) setTimeout(done, ms);
  else process.nextTick(done);
  return future;
}

/** Runs fn in a fiber made by Fiber() and resolves with its result once it has ended. */
function inFiber<T>(fn: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    Fiber(() => {
      try {
        resolve(fn());
      } catch (err) {
        reject(err);
      }
    }).run();
  });
}

test.serial('return() then get(); throw() then get() throws that error', (t) => {
  const ok = new Future<number>();
  t.false(ok.isResolved());
  ok.return(5);
  t.true(ok.isResolved());
  t.is(ok.get(), 5);
  const bad = new Future();
  const err = new Error('failed');
  bad.throw(err);
  t.is(t.throws(() => bad.get()), err);
});

test.serial('error paths: get() too early, resolving twice, throw() with nothing, wait() on the main stack', (t) => {
  const f = new Future();
  t.throws(() => f.get(), { instanceOf: FutureNotReadyError, code: 'ERR_GREENSTACK_FUTURE_NOT_READY' });
  f.return(1);
  t.throws(() => f.return(2), { instanceOf: FutureResolvedError, message: 'Future resolved more than once' });
  t.throws(() => f.throw(new Error('late')), { instanceOf: FutureResolvedError });
  t.throws(() => new Future().throw(undefined), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new Future().throw(0), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new Future().wait(), { instanceOf: BlockingInHubError, code: 'ERR_GREENSTACK_BLOCKING_IN_HUB' });
  t.throws(() => Future.wait(new Future()), { instanceOf: BlockingInHubError });
  t.throws(() => Future.wait(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => Future.wait([new Future(), 'x'] as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => new Future().resolve(undefined as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => Future.wrap(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => Future.fromPromise(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => Future.task(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
});

test.serial('Future.wait() waits for all (arrays flattened) and does not throw their errors', async (t) => {
  const result = await inFiber(() => {
    const slow = timer(10);
    const fast = timer(0);
    const failing = new Future();
    setTimeout(() => failing.throw(new Error('one failed')), 5);
    Future.wait(slow, [fast, failing]);
    t.true(slow.isResolved() && fast.isResolved() && failing.isResolved());
    t.throws(() => failing.get(), { message: 'one failed' });
    Future.wait(slow, fast);
    Future.wait();
    return 'pass';
  });
  t.is(result, 'pass');
});

test.serial('future.wait() returns the value or throws the error, in a Fiber or a spawn() fiber', async (t) => {
  t.is(
    await inFiber(() => {
      const f = new Future<string>();
      setTimeout(() => f.return('value'), 2);
      return f.wait();
    }),
    'value',
  );
  const failed = spawn(() => {
    const f = new Future();
    setTimeout(() => f.throw(new TypeError('waited error')), 2);
    return f.wait();
  });
  await t.throwsAsync(async () => failed, { instanceOf: TypeError, message: 'waited error' });
});

test.serial('the resolver resumes the waiting fiber synchronously, inside return()', (t) => {
  const order: string[] = [];
  const f = new Future<number>();
  const fiber = Fiber(() => {
    order.push('waiting');
    const v = f.wait();
    order.push(`woke with ${v}`);
    return Fiber.yield('yielded to the resolver');
  });
  t.is(fiber.run(), undefined);
  order.push('before return');
  f.return(3);
  order.push('after return');
  t.deepEqual(order, ['waiting', 'before return', 'woke with 3', 'after return']);
  t.true(fiber.started);
  t.is(fiber.run('end'), 'end');
});

test.serial('resolve(cb) and resolve(future, cb), resolveSuccess, proxy, proxyErrors, resolver', (t) => {
  const calls: unknown[] = [];
  const f = new Future<number>();
  t.is(
    f.resolve((err, v) => calls.push(['cb', err, v])),
    f,
  );
  const errorsTo = new Future();
  f.resolve(errorsTo, (v) => calls.push(['success', v]));
  f.resolveSuccess((v) => calls.push(['resolveSuccess', v]));
  const proxied = new Future<number>();
  f.proxy(proxied);
  f.resolver()(null, 9);
  t.deepEqual(calls, [['cb', undefined, 9], ['success', 9], ['resolveSuccess', 9]]);
  t.is(proxied.get(), 9);
  t.false(errorsTo.isResolved());
  // Resolved already: callbacks run at once.
  f.resolve((err, v) => calls.push(['late', err, v]));
  t.deepEqual(calls.at(-1), ['late', undefined, 9]);

  const g = new Future();
  const sink = new Future();
  const sinks = [new Future(), new Future()];
  const successes: unknown[] = [];
  g.resolve(sink, (v) => successes.push(v));
  g.resolveSuccess((v) => successes.push(v));
  g.proxyErrors(sinks);
  const proxied2 = new Future();
  g.proxy(proxied2);
  const err = new Error('bad');
  g.resolver()(err);
  t.deepEqual(successes, []);
  t.is(t.throws(() => sink.get()), err);
  t.is(t.throws(() => sinks[1]!.get()), err);
  t.is(t.throws(() => proxied2.get()), err);
});

test.serial('Future.wrap(fn): node-style callback functions return futures; _ is what fn returned', async (t) => {
  const add = (a: number, b: number, cb: (err: Error | null, v?: number) => void): string => {
    setTimeout(() => (a < 0 ? cb(new Error('negative')) : cb(null, a + b)), 1);
    return 'sync return';
  };
  const pair = (cb: (err: null, a: number, b: number) => void): void => process.nextTick(() => cb(null, 1, 2));
  const result = await inFiber(() => {
    const addFuture = Future.wrap(add);
    const f = addFuture(2, 3);
    t.is(f._, 'sync return');
    const sum = f.wait();
    let err: unknown;
    try {
      addFuture(-1, 0).wait();
    } catch (e) {
      err = (e as Error).message;
    }
    const multi = Future.wrap(pair, true)().wait();
    return [sum, err, multi];
  });
  t.deepEqual(result, [5, 'negative', [1, 2]]);
});

test.serial('Future.wrap(object): <name>Future wrappers (or a custom suffix), originals kept', async (t) => {
  const wrapped = Future.wrap(fs);
  t.is(typeof wrapped.readdirFuture, 'function');
  t.is(wrapped.readdir, fs.readdir);
  t.is(Object.getPrototypeOf(wrapped), fs);
  const custom = Future.wrap({ get: (cb: (e: null, v: string) => void) => cb(null, 'got') }, false, 'Later');
  t.is(typeof custom.getLater, 'function');
  const names = await inFiber(() => wrapped.readdirFuture(__dirname).wait() as string[]);
  t.true(names.includes('fibers.future.test.js'));
  t.is(custom.getLater().get(), 'got');
  // A function with methods of its own: those are wrapped too, through its prototype.
  const request = Object.assign((cb: (e: null, v: string) => void) => cb(null, 'call'), {
    get: (cb: (e: null, v: string) => void) => cb(null, 'method'),
  });
  const wrappedRequest = Future.wrap(request);
  t.is(wrappedRequest().get(), 'call');
  t.is(wrappedRequest.getFuture().get(), 'method');
});

test.serial('Future.task() and fn.future(): run in their own fiber, from the next tick', async (t) => {
  let ran = false;
  const task = Future.task(() => {
    ran = true;
    t.truthy(Fiber.current);
    sleep(2);
    return 'task done';
  });
  t.false(ran);
  t.is(await task.promise(), 'task done');
  const many = Future.task(
    () => 1,
    () => {
      sleep(1);
      return 2;
    },
  );
  t.deepEqual(await many.promise(), [1, 2]);
  const failing = Future.task(
    () => 1,
    () => {
      throw new Error('second failed');
    },
  );
  await t.throwsAsync(failing.promise(), { message: 'second failed' });

  const double = function (this: { k: number }, x: number) {
    return x * 2 * this.k;
  }.future!();
  t.is(await double.call({ k: 10 }, 2).promise(), 40);
  t.regex(String(double), /^<<Future function[^]*\.future\(\)>>$/);
});

test.serial('Future.wait() on a fiber future nobody started runs it inline, in the waiting fiber', async (t) => {
  const result = await inFiber(() => {
    const waiter = Fiber.current;
    let ranIn: unknown;
    const f = function () {
      ranIn = Fiber.current;
      return 'inline';
    }.future!()();
    const value = f.wait();
    return [value, ranIn === waiter];
  });
  t.deepEqual(result, ['inline', true]);
});

test.serial('fromPromise() and promise(), both ways, errors included', async (t) => {
  const result = await inFiber(() => {
    const ok = Future.fromPromise(Promise.resolve('from promise')).wait();
    let err: unknown;
    try {
      Future.fromPromise(Promise.reject(new Error('rejected'))).wait();
    } catch (e) {
      err = (e as Error).message;
    }
    return [ok, err];
  });
  t.deepEqual(result, ['from promise', 'rejected']);
  const f = new Future();
  setTimeout(() => f.throw(new Error('to promise')), 1);
  await t.throwsAsync(f.promise(), { message: 'to promise' });
  const g = new Future();
  g.return('value');
  t.is(await g.promise(), 'value');
});

test.serial('a waiting fiber thrown into stops waiting; the later resolution does not resume it', async (t) => {
  const f = new Future();
  let outcome: unknown;
  const fiber = Fiber(() => {
    try {
      f.wait();
      outcome = 'woke';
    } catch (err) {
      outcome = (err as Error).message;
    }
    Fiber.yield('after the wait');
    return 'end';
  });
  t.is(fiber.run(), undefined);
  t.is(fiber.throwInto(new Error('interrupted')), 'after the wait');
  t.is(outcome, 'interrupted');
  f.return('too late');
  t.true(fiber.started);
  t.is(fiber.run(), 'end');
});

test.serial('a stray run() of a fiber waiting on a future does not end its wait', (t) => {
  const f = new Future<string>();
  const fiber = Fiber(() => f.wait());
  t.is(fiber.run(), undefined);
  t.is(fiber.run('stray'), undefined);
  t.true(fiber.started);
  f.return('real');
  t.false(fiber.started);
});

test.serial('Future.wait() inside a spawn() fiber (Fiber.current adopts it)', async (t) => {
  const got = await spawn(() => {
    const a = timer(3);
    const b = new Future<number>();
    setTimeout(() => b.return(4), 1);
    Future.wait(a, b);
    return b.get();
  });
  t.is(got, 4);
});

test.serial('detach(): a success is ignored; with the future already failed it throws at once', (t) => {
  const ok = new Future();
  ok.detach();
  ok.return(1);
  const failed = new Future();
  failed.throw(new Error('already failed'));
  t.throws(() => failed.detach(), { message: 'already failed' });
});

test.serial('in a process: detach() of a failing task, throwing callbacks, node-fibers future-exception', (t) => {
  const detach = runFixture('fibers.js', { args: ['detach'] });
  t.is(detach.status, 1);
  t.regex(detach.stderr, /detached and failed/);
  t.notRegex(detach.stdout, /still running/);
  const cb = runFixture('fibers.js', { args: ['callback-throws'] });
  t.is(cb.status, 0, cb.stderr);
  t.regex(cb.stdout, /return\(\) came back; others saw 7\nuncaught: bad callback/);
  const fe = runFixture('fibers.js', { args: ['future-exception'] });
  t.is(fe.status, 0, fe.stderr);
  t.is(fe.stdout.trim(), 'pass');
});

test.serial('Function.prototype.future exists only once greenstack/future is loaded, and is not enumerable', (t) => {
  const r = runFixture('fibers.js', { args: ['function-future'] });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), 'undefined undefined function enumerable=false');
});
