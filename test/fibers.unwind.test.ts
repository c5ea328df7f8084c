// fibers.unwind.test.ts: greenstack/fibers: throwInto(), reset(), unwinding of collected fibers, stack overflow, deep recursion.
import test from 'ava';
import { FiberZombieError, sleep } from 'greenstack';
import Fiber from 'greenstack/fibers';
import { checkLeaks } from './helpers/leaks.js';
import { runFixture } from './helpers/subprocess.js';

checkLeaks(test);

test.serial('throwInto(): yield() throws; what the fiber does next comes back from throwInto()', (t) => {
  const f = Fiber(() => {
    for (;;) {
      try {
        Fiber.yield('waiting');
      } catch (err) {
        if ((err as Error).message === 'stop') return 'stopped';
        Fiber.yield(`handled ${(err as Error).message}`);
      }
    }
  });
  t.is(f.run(), 'waiting');
  t.is(f.throwInto(new Error('first')), 'handled first');
  t.is(f.run(), 'waiting');
  t.is(f.throwInto(new Error('stop')), 'stopped');
  t.false(f.started);
});

test.serial('throwInto(): an exception the fiber does not catch comes right back, any value included', (t) => {
  const f = Fiber(() => Fiber.yield());
  f.run();
  const err = new Error('not caught');
  t.is(t.throws(() => f.throwInto(err)), err);
  t.false(f.started);
  const g = Fiber(() => Fiber.yield());
  g.run();
  t.throws(() => g.throwInto('a string'), { any: true, is: 'a string' as unknown as Error });
});

test.serial('throwInto() from inside another fiber, and into a fiber blocked in greenstack sleep()', (t) => {
  const target = Fiber(() => {
    try {
      Fiber.yield();
    } catch (err) {
      return `target got ${(err as Error).message}`;
    }
    return 'no error';
  });
  target.run();
  t.is(Fiber(() => target.throwInto(new Error('from a fiber'))).run(), 'target got from a fiber');

  const sleeper = Fiber(() => {
    try {
      sleep(60_000);
    } catch (err) {
      return `sleep threw ${(err as Error).message}`;
    }
    return 'slept';
  });
  t.is(sleeper.run(), undefined);
  t.true(sleeper.started);
  t.is(sleeper.throwInto(new Error('wake up')), 'sleep threw wake up');
});

test.serial('reset(): every yield() throws until fn returns; finally blocks run; the value comes back', (t) => {
  const events: string[] = [];
  const f = Fiber(() => {
    try {
      for (let i = 0; ; i++) {
        try {
          Fiber.yield(i);
        } catch (err) {
          events.push((err as Error).constructor.name);
          if (i === 2) throw err;
        }
      }
    } finally {
      events.push('finally');
      try {
        Fiber.yield('in finally');
      } catch (err) {
        events.push(`finally yield threw ${(err as FiberZombieError).code}`);
      }
    }
  });
  t.is(f.run(), 0);
  t.is(f.reset(), undefined);
  t.deepEqual(events, [
    'FiberZombieError',
    'FiberZombieError',
    'FiberZombieError',
    'finally',
    'finally yield threw ERR_GREENSTACK_FIBER_ZOMBIE',
  ]);
  t.false(f.started);

  const r = Fiber(() => {
    try {
      Fiber.yield();
    } catch {
      return 'cleaned up';
    }
    return 'never';
  });
  r.run();
  t.is(r.reset(), 'cleaned up');
  // A reset fiber starts over on the next run().
  t.is(r.run(), undefined);
  t.is(r.reset(), 'cleaned up');
});

test.serial('reset(): a fiber that catches the zombie error 1000 times still ends (node-fibers test/unwind.js)', (t) => {
  let ii = 0;
  const fn = Fiber(() => {
    for (ii = 0; ii < 1000; ++ii) {
      try {
        Fiber.yield();
      } catch {
        // swallowed: reset() throws again at the next yield()
      }
    }
  });
  fn.run();
  fn.reset();
  t.is(ii, 1000);
});

test.serial('reset(): an error other than the zombie one, thrown while unwinding, comes out of reset()', (t) => {
  const f = Fiber(() => {
    try {
      Fiber.yield();
    } finally {
      // eslint-disable-next-line no-unsafe-finally
      throw new Error('cleanup failed');
    }
  });
  f.run();
  t.throws(() => f.reset(), { message: 'cleanup failed' });
  t.false(f.started);
});

test.serial('reset() of a fiber blocked in greenstack throws into its blocking call, also from a fiber', (t) => {
  let caught: unknown;
  const f = Fiber(() => {
    try {
      sleep(60_000);
    } catch (err) {
      caught = err;
      throw err;
    }
  });
  f.run();
  t.is(Fiber(() => f.reset()).run(), undefined);
  t.true(caught instanceof FiberZombieError);
  t.false(f.started);
});

test.serial('collected fibers: suspended in yield() they are unwound; blocked in greenstack they are not', (t) => {
  const r = runFixture('fibers.js', { args: ['gc'], flags: ['--expose-gc'] });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /suspended before: 52/);
  t.regex(r.stdout, /unwound 50 cleaned 50 sleeper woke=true unwound=true/);
  t.regex(r.stdout, /kept started=true run=42/);
  t.regex(r.stdout, /after: suspended 0 live 0/);
});

test.serial('collected fibers: an error thrown while the collector unwinds one is reported, not lost', (t) => {
  const r = runFixture('fibers.js', { args: ['gc-throws'], flags: ['--expose-gc'] });
  t.is(r.status, 1);
  t.regex(r.stderr, /thrown while being collected/);
});

test.serial('stack overflow in a fiber is a RangeError out of run(); the fiber runs again afterwards', (t) => {
  const f = Fiber(() => {
    const foo = (): number => foo() + Math.random();
    return foo();
  });
  t.throws(() => f.run(), { instanceOf: RangeError });
  t.false(f.started);
  t.throws(() => f.run(), { instanceOf: RangeError });
  // At the JS stack limit, work that needs a lot of native stack (a big RegExp, JSON)
  // either works or throws RangeError: the headroom below the limit holds
  // (node-fibers test/stack-overflow2.js).
  const g = Fiber(() => {
    let depth = 0;
    let limit = 0;
    let heavyRuns = 0;
    const dive = (): void => {
      depth++;
      try {
        dive();
      } catch (err) {
        if (limit === 0) limit = depth;
        if (depth > limit - 300) {
          try {
            new RegExp('a'.repeat(1024), 'g').test('a'.repeat(2000));
            JSON.stringify({ deep: [[[[1]]]], s: 'x'.repeat(100) });
            new Intl.NumberFormat('en-US').format(12345.678);
            'x'.repeat(5000).normalize('NFKC');
            heavyRuns++;
          } catch {
            // RangeError this close to the limit is fine; a crash is not
          }
        }
        throw err;
      } finally {
        depth--;
      }
    };
    try {
      dive();
    } catch {
      // the overflow, rethrown all the way up
    }
    return heavyRuns;
  });
  t.true((g.run() as number) > 0);
});

test.serial('fibers that yield from deep inside a stack overflow handler resume fine (node-fibers stack-overflow3)', (t) => {
  const fibers = [];
  for (let n = 0; n < 20; n++) {
    const fiber = Fiber(() => {
      let caught = false;
      let recur = 0;
      let stop = 0;
      const foo = (): unknown => {
        ++recur;
        try {
          return foo();
        } catch (err) {
          if (!caught) {
            stop = recur - 500;
            caught = true;
          } else if (stop === recur) {
            return Fiber.yield(recur);
          }
          --recur;
          throw err;
        }
      };
      return foo();
    });
    t.true((fiber.run() as number) > 0);
    fibers.push(fiber);
  }
  for (const fiber of fibers) t.is(fiber.run('done'), 'done');
});

test.serial('deep recursion: a fiber yields 5000 frames down and its frames are intact when resumed', (t) => {
  const f = Fiber(() => {
    const down = (n: number, acc: number[]): number => {
      if (n === 0) return (Fiber.yield(acc.length) as number) + acc.reduce((a, b) => a + b, 0);
      acc.push(n);
      const r = down(n - 1, acc);
      acc.pop();
      return r;
    };
    return down(5000, []);
  });
  t.is(f.run(), 5000);
  t.is(f.run(1), 1 + (5000 * 5001) / 2);
});
