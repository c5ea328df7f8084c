// core.kill.test.ts: kill() and Timeout thrown into fibers at every blocking point.
import test from 'ava';
import {
  Fiber,
  FiberExit,
  joinAll,
  killAll,
  sleep,
  spawn,
  Timeout,
  TimeoutError,
  wait,
  withTimeout,
} from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { fibersDone, settle } from './helpers/toolkit.js';

checkLeaks(test);

const never = new Promise<never>(() => {});

// Every way a fiber can block in the core API.
const blockingPoints: Record<string, () => unknown> = {
  sleep: () => sleep(60_000),
  'sleep(0) loop': () => {
    for (;;) sleep(0);
  },
  wait: () => wait(never),
  'wait with timeout': () => wait(never, { timeout: 60_000 }),
  join: () => spawn(() => sleep(200)).join(),
  get: () => spawn(() => sleep(200)).get(),
  joinAll: () => joinAll([spawn(() => sleep(200))]),
  'sleep with signal': () => sleep(60_000, { signal: new AbortController().signal }),
};

for (const [point, block] of Object.entries(blockingPoints)) {
  test.serial(`kill() interrupts ${point}; finally blocks run`, async (t) => {
    const events: string[] = [];
    const f = spawn(() => {
      try {
        events.push('blocking');
        block();
        events.push('not reached');
      } finally {
        events.push('finally');
      }
    });
    await settle();
    t.deepEqual(events, ['blocking']);
    const killer = spawn(() => f.kill());
    await killer;
    t.true(f.dead);
    t.true(f.successful, 'FiberExit counts as success');
    t.true((f.value as unknown as object) instanceof FiberExit);
    t.deepEqual(events, ['blocking', 'finally']);
    // Children spawned by the blocking point may still be running: let them end.
    await fibersDone();
  });

  test.serial(`Timeout fires at ${point}`, async (t) => {
    const f = spawn(() => {
      const timeout = Timeout.startNew(30);
      try {
        block();
        return 'not reached';
      } catch (err) {
        return timeout.is(err) && (err as object) instanceof TimeoutError && (err as TimeoutError).timeout === timeout ? 'timed out' : err;
      } finally {
        timeout.cancel();
      }
    });
    t.is(await f, 'timed out');
    await fibersDone();
  });
}

test.serial('kill with a custom error: the fiber fails with it', async (t) => {
  const f = spawn(() => sleep(10_000));
  await settle();
  const reason = new RangeError('stop');
  f.kill(reason);
  await t.throwsAsync(async () => f, { is: reason });
  t.false(f.successful);
  t.is(f.error, reason);
});

test.serial('kill before start: the fiber never runs; links still fire', async (t) => {
  let ran = false;
  const f = spawn(() => {
    ran = true;
  });
  let linked: Fiber | undefined;
  f.link((x) => {
    linked = x;
  });
  f.kill();
  t.true(f.dead);
  await settle();
  t.false(ran);
  t.is(linked, f);
  const later = new Fiber(() => {
    ran = true;
  }).startLater(5);
  later.kill();
  await new Promise((r) => setTimeout(r, 20));
  t.false(ran);
  t.true(later.dead);
});

test.serial('kill(block) waits for death; timeout bounds the wait', async (t) => {
  const stubborn = spawn(() => {
    try {
      sleep(60_000);
    } catch {
      sleep(100); // cleanup that blocks
    }
    return 'cleaned';
  });
  await settle();
  const result = await spawn(() => {
    const started = Date.now();
    stubborn.kill(undefined, { block: true, timeout: 20 });
    const early = stubborn.dead;
    stubborn.join();
    return { early, waited: Date.now() - started };
  });
  t.false(result.early);
  t.is(stubborn.value, 'cleaned');
});

test.serial('a fiber that catches FiberExit keeps running until it returns', async (t) => {
  const f = spawn(() => {
    try {
      sleep(60_000);
    } catch (err) {
      if (!((err as object) instanceof FiberExit)) throw err;
    }
    sleep(1);
    return 'survived';
  });
  await settle();
  await spawn(() => f.kill());
  t.is(f.value, 'survived');
});

test.serial('kill of the current fiber throws at once', async (t) => {
  const f: Fiber<string> = spawn(() => {
    try {
      f.kill();
      return 'not reached';
    } catch (err) {
      return (err as object) instanceof FiberExit ? 'exit' : 'other';
    }
  });
  t.is(await f, 'exit');
});

test.serial('killAll kills every fiber and blocks until all are dead', async (t) => {
  const fibers = Array.from({ length: 20 }, () => spawn(() => sleep(60_000)));
  await settle();
  await spawn(() => killAll(fibers));
  t.true(fibers.every((f) => f.dead && (f.value as unknown as object) instanceof FiberExit));
});

test.serial('withTimeout returns the value, or throws TimeoutError', async (t) => {
  t.is(await spawn(() => withTimeout(10, () => sleep(1000), { value: 'fallback' })), 'fallback');
  t.is(await spawn(() => withTimeout(1000, () => 'fast')), 'fast');
  await t.throwsAsync(async () => spawn(() => withTimeout(10, () => sleep(1000))), { instanceOf: TimeoutError, code: 'ERR_GREENSTACK_TIMEOUT' });
});

test.serial('a cancelled Timeout never fires; `using` cancels it', async (t) => {
  const result = await spawn(() => {
    const a = Timeout.startNew(10);
    a.cancel();
    t.false(a.pending);
    {
      using b = Timeout.startNew(10);
      t.true(b.pending);
    }
    sleep(30);
    return 'quiet';
  });
  t.is(result, 'quiet');
});

test.serial('nested Timeouts: the inner one fires first and is the one thrown', async (t) => {
  const result = await spawn(() => {
    const outer = Timeout.startNew(200);
    try {
      const inner = Timeout.startNew(10);
      try {
        sleep(1000);
      } catch (err) {
        return inner.is(err) ? 'inner' : outer.is(err) ? 'outer' : 'other';
      } finally {
        inner.cancel();
      }
    } finally {
      outer.cancel();
    }
    return 'none';
  });
  t.is(result, 'inner');
});

test.serial('a Timeout that loses the race to a wake-up is thrown at the next blocking point', async (t) => {
  // The fiber is woken (timer at 5 ms) and, before it runs, its Timeout fires
  // too: the wake-up wins and the TimeoutError surfaces at the next block.
  const result = await spawn(() => {
    const timeout = new Timeout(5);
    const p = new Promise<string>((resolve) => setTimeout(() => resolve('value'), 5));
    timeout.start();
    const busyUntil = Date.now() + 10;
    while (Date.now() < busyUntil); // both timers are due when the hub runs next
    let got: string | undefined;
    try {
      got = wait(p);
      sleep(50);
      return { got, thrown: false };
    } catch (err) {
      return { got, thrown: timeout.is(err) };
    } finally {
      timeout.cancel();
    }
  });
  t.true(result.thrown);
});

test.serial('AbortSignal aborts sleep and wait with its reason', async (t) => {
  const ac = new AbortController();
  const f = spawn(() => {
    try {
      wait(never, { signal: ac.signal });
    } catch (err) {
      return err;
    }
  });
  setTimeout(() => ac.abort(new Error('cancelled')), 5);
  t.is(((await f) as Error).message, 'cancelled');
  const pre = AbortSignal.abort();
  const caught = (ms: number) =>
    spawn(() => {
      try {
        sleep(ms, { signal: pre });
        return 'slept';
      } catch (err) {
        return (err as Error).name;
      }
    });
  t.is(await caught(100), 'AbortError');
  t.is(await caught(0), 'AbortError');
});
