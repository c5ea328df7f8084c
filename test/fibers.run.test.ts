// fibers.run.test.ts: greenstack/fibers: run()/yield() value passing, nesting, errors, current, started, misuse, pool.
import test from 'ava';
import { InvalidSwitchError } from 'greenstack';
import Fiber from 'greenstack/fibers';
import { runtimeStats } from '../dist/core/internal.js';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

test.serial('run() and yield() pass values both ways (the incremental generator)', (t) => {
  const inc = Fiber((start: number) => {
    let total = start;
    for (;;) total += Fiber.yield(total);
  });
  const seen: number[] = [];
  for (let ii = inc.run(1); ii <= 10; ii = inc.run(1)) seen.push(ii);
  t.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.true(inc.started);
  t.is(inc.reset(), undefined);
  t.false(inc.started);
});

test.serial('the first run() passes its value as fn\'s only argument; run() without one passes none', (t) => {
  const args: unknown[][] = [];
  const f = Fiber(function (...a: unknown[]) {
    args.push(a);
  });
  f.run('x');
  f.run();
  f.run(undefined);
  t.deepEqual(args, [['x'], [], [undefined]]);
});

test.serial('run() returns what fn returns; a finished fiber is reset and starts over', (t) => {
  let calls = 0;
  const f = Fiber((n: number) => {
    calls++;
    const m = Fiber.yield(n * 2);
    return `${n}+${m}`;
  });
  t.is(f.run(3), 6);
  t.is(f.run(4), '3+4');
  t.false(f.started);
  t.is(f.run(5), 10);
  t.is(f.run(6), '5+6');
  t.is(calls, 2);
});

test.serial('the Fibonacci generator from the node-fibers README', (t) => {
  function fibonacci(): () => number {
    const fiber = Fiber(() => {
      Fiber.yield(0);
      let prev = 0;
      let curr = 1;
      for (;;) {
        Fiber.yield(curr);
        const tmp = prev + curr;
        prev = curr;
        curr = tmp;
      }
    });
    const seq = fiber.run.bind(fiber) as () => number;
    (seq as unknown as { fiber: typeof fiber }).fiber = fiber;
    return seq;
  }
  const seq = fibonacci();
  const out: number[] = [];
  for (let ii = seq(); ii <= 1597; ii = seq()) out.push(ii);
  t.deepEqual(out, [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597]);
  (seq as unknown as { fiber: { reset(): void } }).fiber.reset();
});

test.serial('Fiber works with and without new, and can be subclassed', (t) => {
  const a = Fiber(() => 1);
  const b = new Fiber(() => 2);
  t.true(a instanceof Fiber);
  t.true(b instanceof Fiber);
  t.is(a.run(), 1);
  t.is(b.run(), 2);
  class Named extends Fiber {
    constructor(readonly label: string) {
      super(() => `${label}:${Fiber.current instanceof Named}`);
    }
  }
  const n = new Named('n');
  t.true(n instanceof Fiber);
  t.is(n.run(), 'n:true');
  t.is(Fiber.name, 'Fiber');
});

test.serial('Fiber.current: undefined on the main stack, the fiber itself inside; started inside', (t) => {
  t.is(Fiber.current, undefined);
  let inside: unknown;
  let started: boolean | undefined;
  const f = Fiber(() => {
    inside = Fiber.current;
    started = Fiber.current!.started;
    Fiber.yield();
    return 'resumed through current';
  });
  f.run();
  t.is(inside, f);
  t.true(started);
  // node-fibers' test/current.js: resume through the object Fiber.current gave.
  t.is((inside as typeof f).run(), 'resumed through current');
  t.is(Fiber.current, undefined);
});

test.serial('nested fibers: a fiber runs another and gets its yields and its return value', (t) => {
  const result = Fiber(() => {
    const inner = Fiber((x: number) => {
      t.is(Fiber.current, inner);
      const y = Fiber.yield(x + 1);
      return y * 2;
    });
    const a = inner.run(1);
    t.not(Fiber.current, inner);
    const b = inner.run(10);
    return [a, b];
  }).run();
  t.deepEqual(result, [2, 20]);
});

test.serial('fibers nested three deep finish in order (node-fibers gh-16), and a chain 200 deep', (t) => {
  const order: string[] = [];
  Fiber(() => {
    Fiber(() => {
      Fiber(() => order.push('c')).run();
      order.push('b');
    }).run();
    order.push('a');
  }).run();
  t.deepEqual(order, ['c', 'b', 'a']);
  const chain = (n: number): number => (n === 0 ? 0 : 1 + (Fiber((k: number) => chain(k)).run(n - 1) as number));
  t.is(chain(200), 200);
});

test.serial('a generator consumed by another fiber, which yields to the main stack in between', (t) => {
  const gen = Fiber(() => {
    for (let i = 0; i < 3; i++) Fiber.yield(i);
    return 'end';
  });
  const consumer = Fiber(() => {
    const got: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      got.push(gen.run());
      got.push(Fiber.yield(`step ${i}`));
    }
    return got;
  });
  const steps: unknown[] = [];
  steps.push(consumer.run());
  for (let i = 0; i < 4; i++) steps.push(consumer.run(`main ${i}`));
  t.deepEqual(steps, ['step 0', 'step 1', 'step 2', 'step 3', [0, 'main 0', 1, 'main 1', 2, 'main 2', 'end', 'main 3']]);
});

test.serial('an exception thrown in a fiber comes out of run(), also through nested run()s', (t) => {
  const fn = Fiber(() => {
    Fiber.yield();
    Fiber.yield();
    throw new Error('oh crap!');
  });
  let runs = 0;
  const err = t.throws(() => {
    for (;;) {
      fn.run();
      runs++;
    }
  });
  t.is(err?.message, 'oh crap!');
  t.is(runs, 2);
  t.false(fn.started);
  const outer = Fiber(() => {
    const inner = Fiber(() => {
      throw new TypeError('from inner');
    });
    try {
      inner.run();
    } catch (e) {
      return `outer caught ${(e as Error).name}: ${(e as Error).message}`;
    }
    return 'not thrown';
  });
  t.is(outer.run(), 'outer caught TypeError: from inner');
  t.throws(() => Fiber(() => Fiber(() => Fiber.yield(Fiber(() => { throw new RangeError('deep'); }).run())).run()).run(), {
    instanceOf: RangeError,
    message: 'deep',
  });
});

test.serial('misuse: a non-function, yield on the main stack, a running fiber, a wrong this', (t) => {
  t.throws(() => Fiber(42 as unknown as () => void), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => new Fiber(undefined as unknown as () => void), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => Fiber.yield(), {
    instanceOf: InvalidSwitchError,
    code: 'ERR_GREENSTACK_INVALID_SWITCH',
    message: 'yield() called with no fiber running',
  });
  const self = Fiber(() => Fiber.current!.run());
  t.throws(() => self.run(), { instanceOf: InvalidSwitchError, message: 'This Fiber is already running' });
  // node-fibers' test/already-running.js: the outer fiber waits in run(), so it is running.
  t.throws(
    () =>
      Fiber(() => {
        const that = Fiber.current!;
        Fiber(() => that.run()).run();
      }).run(),
    { instanceOf: InvalidSwitchError, message: 'This Fiber is already running' },
  );
  t.throws(() => Fiber.prototype.run.call(null), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => Fiber.prototype.run.call({}), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => Fiber.prototype.reset.call(Object.create(Fiber.prototype)), { code: 'ERR_INVALID_ARG_TYPE' });
  t.is(Fiber.prototype.started as boolean | undefined, undefined);
  const idle = Fiber(() => {});
  t.throws(() => idle.throwInto(new Error('x')), { instanceOf: InvalidSwitchError, message: 'This Fiber is not yielding' });
  t.is(idle.reset(), undefined);
  const inside = Fiber(() => {
    const me = Fiber.current!;
    const errs: string[] = [];
    for (const call of [() => me.throwInto(new Error('x')), () => me.reset()]) {
      try {
        call();
      } catch (e) {
        errs.push((e as Error).message);
      }
    }
    return errs;
  });
  t.deepEqual(inside.run(), ['This Fiber is not yielding', 'This Fiber is not yielding']);
});

test.serial('the pool: fibers that finish give their carrier back for the next ones (node-fibers test/pool.js)', (t) => {
  const createdBefore = Fiber.fibersCreated;
  const carriers: number[] = [];
  for (let round = 0; round < 3; round++) {
    const fibers = [];
    for (let i = 0; i < 100; i++) {
      const fn = Fiber(() => Fiber.yield());
      fn.run();
      fibers.push(fn);
    }
    for (const fn of fibers) fn.run();
    const stats = runtimeStats();
    carriers.push(stats.carriers);
    t.is(stats.carriers, stats.idleCarriers);
  }
  t.is(Fiber.fibersCreated - createdBefore, 300);
  // Later rounds reuse the first round's threads instead of making new ones.
  t.is(carriers[2], carriers[0]);
  t.true(carriers[0] >= 100);
});

test.serial('Fiber.poolSize reads and sets how many idle carriers are kept', (t) => {
  const before = Fiber.poolSize;
  try {
    Fiber.poolSize = 0;
    t.is(Fiber.poolSize, 0);
    // With no idle carriers wanted, a fiber's carrier retires when the fiber finishes.
    const alive = runtimeStats().carriers;
    const fibers = Array.from({ length: 20 }, () => Fiber(() => Fiber.yield()));
    for (const f of fibers) f.run();
    for (const f of fibers) f.run();
    const stats = runtimeStats();
    t.is(stats.carriers, Math.max(0, alive - 20));
    t.is(stats.idleCarriers, stats.carriers);
    t.throws(() => (Fiber.poolSize = -1), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => (Fiber.poolSize = '3' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
  } finally {
    Fiber.poolSize = before;
  }
  t.is(Fiber.poolSize, before);
});

test.serial('the module value is Fiber itself, with no enumerable statics', (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  t.is(require('greenstack/fibers'), Fiber);
  t.deepEqual(Object.keys(Fiber), []);
  t.is(typeof Fiber.yield, 'function');
  t.is(typeof Fiber.fibersCreated, 'number');
});
