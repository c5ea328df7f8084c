// core.args.test.ts: bad input to every public core function gives a typed error with a code.
import test from 'ava';
import {
  configure,
  Fiber,
  GreenstackError,
  InvalidSwitchError,
  joinAll,
  killAll,
  sleep,
  spawn,
  spawnLater,
  Timeout,
  wait,
  Waiter,
  withTimeout,
} from 'greenstack';
import Future from 'greenstack/future';
import { connectArgs } from 'greenstack/net';
import { checkLeaks } from './helpers/leaks.js';
import { settle } from './helpers/toolkit.js';

checkLeaks(test);

type Case = [string, () => unknown, string];

const notFn = 42 as unknown as () => void;
const anyArg = (v: unknown) => v as never;

const hubCases: Case[] = [
  ['spawn(non-function)', () => spawn(notFn), 'ERR_INVALID_ARG_TYPE'],
  ['new Fiber(null)', () => new Fiber(anyArg(null)), 'ERR_INVALID_ARG_TYPE'],
  ['new Fiber(fn, "x")', () => new Fiber(() => {}, anyArg('x')), 'ERR_INVALID_ARG_TYPE'],
  ['new Fiber name', () => new Fiber(() => {}, { name: anyArg(1) }), 'ERR_INVALID_ARG_TYPE'],
  ['new Fiber stackSize type', () => new Fiber(() => {}, { stackSize: anyArg('1M') }), 'ERR_INVALID_ARG_TYPE'],
  ['new Fiber stackSize tiny', () => new Fiber(() => {}, { stackSize: 1024 }), 'ERR_INVALID_ARG_VALUE'],
  ['new Fiber stackSize fraction', () => new Fiber(() => {}, { stackSize: 200000.5 }), 'ERR_INVALID_ARG_VALUE'],
  ['new Fiber args', () => new Fiber(() => {}, { args: anyArg('a') }), 'ERR_INVALID_ARG_TYPE'],
  ['spawnLater(-1)', () => spawnLater(-1, () => {}), 'ERR_INVALID_ARG_VALUE'],
  ['spawnLater("1")', () => spawnLater(anyArg('1'), () => {}), 'ERR_INVALID_ARG_TYPE'],
  ['spawnLater(NaN)', () => spawnLater(NaN, () => {}), 'ERR_INVALID_ARG_VALUE'],
  ['new Timeout(-5)', () => new Timeout(-5), 'ERR_INVALID_ARG_VALUE'],
  ['new Timeout("5")', () => new Timeout(anyArg('5')), 'ERR_INVALID_ARG_TYPE'],
  ['withTimeout(ms, non-fn)', () => withTimeout(5, notFn), 'ERR_INVALID_ARG_TYPE'],
  ['joinAll(non-iterable)', () => joinAll(anyArg(5)), 'ERR_INVALID_ARG_TYPE'],
  ['joinAll([non-fiber])', () => joinAll(anyArg([1])), 'ERR_INVALID_ARG_TYPE'],
  ['killAll(null)', () => killAll(anyArg(null)), 'ERR_INVALID_ARG_TYPE'],
  ['configure(null)', () => configure(anyArg(null)), 'ERR_INVALID_ARG_TYPE'],
  ['configure stackSize', () => configure({ stackSize: 10 }), 'ERR_INVALID_ARG_VALUE'],
  ['configure maxIdleCarriers', () => configure({ maxIdleCarriers: -1 }), 'ERR_INVALID_ARG_VALUE'],
  ['configure pin', () => configure({ pin: anyArg('yes') }), 'ERR_INVALID_ARG_TYPE'],
  // Checked where the caller is, not failing later inside the library:
  ['new Waiter(Symbol())', () => new Waiter(anyArg(Symbol('w'))), 'ERR_INVALID_ARG_TYPE'],
  ['future.proxy(undefined)', () => new Future().proxy(anyArg(undefined)), 'ERR_INVALID_ARG_TYPE'],
  ['future.proxyErrors([f, 5])', () => new Future().proxyErrors(anyArg([new Future(), 5])), 'ERR_INVALID_ARG_TYPE'],
  ['connectArgs(undefined)', () => connectArgs(anyArg(undefined)), 'ERR_INVALID_ARG_TYPE'],
];

for (const [name, call, code] of hubCases) {
  test.serial(`bad input: ${name} -> ${code}`, (t) => {
    const err = t.throws(call) as Error & { code?: string };
    t.is(err.code, code);
    t.true(err instanceof TypeError || err instanceof RangeError, err.constructor.name);
  });
}

test.serial('bad input inside a fiber: sleep, wait, join, get, link', async (t) => {
  const codes = await spawn(() => {
    const out: Record<string, string | undefined> = {};
    const grab = (name: string, fn: () => unknown) => {
      try {
        fn();
        out[name] = 'no error';
      } catch (err) {
        out[name] = (err as { code?: string }).code;
      }
    };
    const other = spawn(() => sleep(1));
    grab('sleep(-1)', () => sleep(-1));
    grab('sleep("1")', () => sleep(anyArg('1')));
    grab('sleep signal', () => sleep(5, { signal: anyArg({}) }));
    grab('wait timeout', () => wait(Promise.resolve(1), { timeout: -1 }));
    grab('join(-1)', () => other.join(-1));
    grab('get timeout', () => other.get({ timeout: anyArg('x') }));
    grab('link(null)', () => other.link(anyArg(null)));
    grab('kill options', () => other.kill(undefined, anyArg(5)));
    other.join();
    return out;
  });
  t.deepEqual(codes, {
    'sleep(-1)': 'ERR_INVALID_ARG_VALUE',
    'sleep("1")': 'ERR_INVALID_ARG_TYPE',
    'sleep signal': 'ERR_INVALID_ARG_TYPE',
    'wait timeout': 'ERR_INVALID_ARG_VALUE',
    'join(-1)': 'ERR_INVALID_ARG_VALUE',
    'get timeout': 'ERR_INVALID_ARG_TYPE',
    'link(null)': 'ERR_INVALID_ARG_TYPE',
    'kill options': 'ERR_INVALID_ARG_TYPE',
  });
});

test.serial('misuse of fibers: start twice, join self', async (t) => {
  const f = spawn(() => {});
  const err = t.throws(() => f.start(), { instanceOf: InvalidSwitchError });
  t.is(err?.code, 'ERR_GREENSTACK_INVALID_SWITCH');
  t.true(err instanceof GreenstackError);
  await f;
  const self: Fiber<string> = spawn(() => {
    try {
      self.join();
      return 'joined';
    } catch (e) {
      return (e as { code: string }).code;
    }
  });
  t.is(await self, 'ERR_GREENSTACK_INVALID_SWITCH');
});

test.serial('fiber state properties through a life cycle', async (t) => {
  const f = new Fiber(() => { sleep(2); return 'v'; }, { name: 'worker' });
  t.false(f.started);
  t.false(f.dead);
  t.is(f.name, 'worker');
  t.true(f.id > 0);
  f.start();
  t.true(f.started);
  t.false(f.ready);
  t.regex(String(f), /worker/);
  t.is(await f, 'v');
  t.true(f.dead && f.ready && f.successful);
  t.is(f.value, 'v');
  t.is(f.error, undefined);
});

test.serial('links: link, unlink, linkValue, linkError run on the hub after death', async (t) => {
  const calls: string[] = [];
  const ok = spawn(() => 1);
  const bad = spawn(() => {
    throw new Error('x');
  });
  const removed = () => calls.push('removed');
  ok.link(removed);
  ok.unlink(removed);
  ok.link(() => calls.push('ok:link'));
  ok.linkValue(() => calls.push('ok:value'));
  ok.linkError(() => calls.push('ok:error'));
  bad.linkValue(() => calls.push('bad:value'));
  bad.linkError(() => calls.push('bad:error'));
  await Promise.allSettled([ok, bad]);
  await settle();
  t.deepEqual(calls.sort(), ['bad:error', 'ok:link', 'ok:value']);
  // Linking a dead fiber calls back soon.
  await new Promise<void>((resolve) => ok.link(() => resolve()));
  t.pass();
});

test.serial('joinAll: timeout returns the dead ones; raiseError throws the first error', async (t) => {
  const r = await spawn(() => {
    const quick = spawn(() => 1);
    const slow = spawn(() => sleep(200));
    const done = joinAll([quick, slow], { timeout: 30 });
    const failing = spawn(() => {
      sleep(5);
      throw new Error('first');
    });
    const slower = spawn(() => sleep(100));
    let raised: unknown;
    try {
      joinAll([slower, failing], { raiseError: true });
    } catch (err) {
      raised = (err as Error).message;
    }
    const slowerDead = slower.dead;
    joinAll([slow, slower]);
    return { done: done.length, quick: done[0] === quick, raised, slowerDead };
  });
  t.deepEqual(r, { done: 1, quick: true, raised: 'first', slowerDead: false });
});
