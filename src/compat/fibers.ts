// fibers.ts: greenstack/fibers: node-fibers 5's Fiber (run()/yield() as synchronous calls between stacks) on greenstack fibers.
//
// node-fibers' run() and yield() are symmetric: whoever calls run() (the main stack or
// another fiber) gets control back when the fiber yields. greenstack's hub is the only
// scheduler and only it resumes fibers, so run() on the hub resumes at once
// (hub.resumeNow) and run() inside a fiber asks the hub to run the target and come back
// (hub.switchOutVia). Either way run() returns synchronously.
//
// A fiber made here is a greenstack fiber, so it may also block in greenstack (sleep,
// wait, cooperative IO). Blocking gives control back exactly as yield() does: run()
// returns (undefined) and the hub resumes the fiber when its wait is over. That is what
// node-fibers code expects of an async wait inside a fiber (Future.wait() yields and a
// callback resumes it): `Fiber(fn).run()` returns at the fiber's first wait.
import {
  FiberExit,
  FiberZombieError,
  InvalidArgTypeError,
  InvalidArgValueError,
  InvalidSwitchError,
  validateFunction,
} from '../core/errors.js';
import { Fiber as GreenFiber } from '../core/fiber.js';
import { hub, type Switchable } from '../core/hub.js';
import { configure } from '../core/runtime.js';

// node-fibers passes values of any type through run() and yield().
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** A node-fibers fiber: fn on a stack of its own, entered by run() and left by Fiber.yield(). */
interface Fiber {
  /**
   * Starts the fiber (value is fn's argument) or resumes it (value is what its yield()
   * returns). Returns what it yields or returns, or undefined when it blocks in greenstack;
   * throws what it throws. A finished fiber starts over.
   */
  run(value?: unknown): Any;
  /** Makes the suspended fiber's yield() (or greenstack blocking call) throw error; then as run(). */
  throwInto(error: unknown): Any;
  /** Unwinds a suspended fiber (each yield() throws) until it returns; returns its return value. */
  reset(): Any;
  /** Running or suspended: it has been run and has not finished. */
  readonly started: boolean;
}

interface FiberConstructor {
  (fn: (value?: Any) => unknown): Fiber;
  new (fn: (value?: Any) => unknown): Fiber;
  readonly prototype: Fiber;
  /** The running fiber (any greenstack fiber), or undefined on the main stack. */
  readonly current: Fiber | undefined;
  /** Suspends the running fiber, handing value to its run() caller; returns the next run()'s value. */
  yield(value?: unknown): Any;
  /** Idle carrier threads kept for reuse (greenstack's maxIdleCarriers). */
  poolSize: number;
  /** Fibers this module has started (each run() that starts fn counts). */
  readonly fibersCreated: number;
}

// What a fiber handed back to the run()/throwInto()/reset() resuming it.
const NOTHING = 0; // it blocked in greenstack
const YIELDED = 1;
const RETURNED = 2;
const THREW = 3;

// Everything about one fiber except the user's Fiber object, which it holds only weakly:
// a fiber's own stack references this, so the Fiber object can be collected while the
// fiber is suspended, and that is how we learn nobody can run() it again.
class State {
  /** The greenstack fiber running fn now (null: not started, or finished). */
  core: Switchable | null = null;
  ref: WeakRef<Fiber> | null = null;
  /** run()'s value, for the yield() it resumes. */
  transfer: unknown = undefined;
  out = NOTHING;
  outValue: unknown = undefined;
  /** Suspended in Fiber.yield(). */
  yielding = false;
  /** Suspended in run()/throwInto()/reset() while the fiber it resumed runs. */
  calling = false;
  /** A run()/throwInto()/reset() is resuming it right now and takes what it hands back. */
  driven = false;
  /** Set while reset() or the collector unwinds it. */
  zombie: FiberZombieError | null = null;

  /** fn is null for a greenstack fiber that Fiber.current adopted. */
  constructor(readonly fn: ((value?: unknown) => unknown) | null) {}
}

const byObject = new WeakMap<object, State>();
const byCore = new WeakMap<Switchable, State>();
const collected = new FinalizationRegistry<State>(unwindCollected);
let created = 0;
// runtime.ts's default; configure() does not report it back.
let poolSize = 1024;

function FiberImpl(this: unknown, fn: unknown): Fiber {
  if (!(this instanceof FiberImpl)) return new Fiber(fn as () => unknown);
  validateFunction('fn', fn);
  attach(this as Fiber, new State(fn as (value?: unknown) => unknown));
  return this as Fiber;
}

const Fiber = FiberImpl as unknown as FiberConstructor;
Object.defineProperty(FiberImpl, 'name', { value: 'Fiber' });

function attach(obj: Fiber, s: State): void {
  byObject.set(obj, s);
  s.ref = new WeakRef(obj);
  if (s.fn !== null) collected.register(obj, s);
}

function stateOf(obj: unknown): State {
  const s = typeof obj === 'object' && obj !== null ? byObject.get(obj) : undefined;
  if (s === undefined) throw new InvalidArgTypeError('this', 'an instance of Fiber', obj);
  return s;
}

/** The state of any greenstack fiber: the one made by run(), or adopted on first use. */
function stateFor(core: Switchable): State {
  let s = byCore.get(core);
  if (s === undefined) {
    s = new State(null);
    s.core = core;
    byCore.set(core, s);
  }
  return s;
}

function isStarted(s: State): boolean {
  return s.core !== null && s.core._handle !== null;
}

// node-fibers counts a fiber that is waiting in run() for another one as running.
function isRunning(s: State): boolean {
  return s.core !== null && (s.core === hub.current || s.calling);
}

function start(s: State, args: unknown[]): void {
  const fn = s.fn!;
  const core: GreenFiber<void> = new GreenFiber<void>(() => body(s, core, fn, args));
  core.start();
  byCore.set(core, s);
  s.core = core;
  created++;
}

// The bottom frame of a fiber's stack.
function body(s: State, core: Switchable, fn: (value?: unknown) => unknown, args: unknown[]): void {
  let out = RETURNED;
  let value: unknown;
  try {
    // node-fibers calls fn with the global object as `this`.
    value = fn.apply(globalThis, args as []);
  } catch (err) {
    out = THREW;
    value = err;
  }
  const zombie = s.zombie;
  if (s.core === core) s.core = null;
  s.zombie = null;
  if (s.driven) {
    s.out = out;
    s.outValue = value;
  } else if (out === THREW && value !== zombie && !(value instanceof FiberExit)) {
    // Resumed by the hub, so no run() is there to take the error: greenstack reports it
    // as it does for any fiber's unobserved failure (an unhandled rejection).
    throw value;
  }
}

/**
 * Resumes s's fiber once, synchronously: directly from the hub, or from inside a fiber
 * by having the hub run it and come back. What it hands back is left in s.out.
 */
function drive(s: State, what: string): void {
  const core = s.core!;
  const me = hub.current;
  s.out = NOTHING;
  s.outValue = undefined;
  s.driven = true;
  try {
    if (me === null) {
      hub.resumeNow(core);
    } else {
      const caller = stateFor(me);
      caller.calling = true;
      try {
        hub.switchOutVia(core, what);
      } catch (err) {
        // This fiber was killed or timed out while the other one ran: nobody else will
        // see the other one's error.
        if (s.out === THREW) report(s.outValue);
        throw err;
      } finally {
        caller.calling = false;
      }
    }
  } finally {
    s.driven = false;
    s.transfer = undefined;
  }
}

function collect(s: State): unknown {
  const out = s.out;
  const value = s.outValue;
  s.out = NOTHING;
  s.outValue = undefined;
  if (out === THREW) throw value;
  return value;
}

function report(err: unknown): void {
  if (err instanceof FiberExit || err instanceof FiberZombieError) return;
  void Promise.reject(err);
}

function run(this: unknown, value?: unknown): unknown {
  const s = stateOf(this);
  if (isRunning(s)) throw new InvalidSwitchError('This Fiber is already running');
  if (isStarted(s)) {
    s.transfer = value;
  } else if (s.fn === null) {
    throw new InvalidSwitchError('This Fiber has finished; only a fiber made by Fiber(fn) can be run again');
  } else {
    start(s, arguments.length > 0 ? [value] : []);
  }
  drive(s, 'Fiber.run()');
  return collect(s);
}

function throwInto(this: unknown, error: unknown): unknown {
  const s = stateOf(this);
  if (!isStarted(s) || isRunning(s)) throw new InvalidSwitchError('This Fiber is not yielding');
  hub.throwInto(s.core!, error, true);
  drive(s, 'Fiber.throwInto()');
  return collect(s);
}

function reset(this: unknown): unknown {
  const s = stateOf(this);
  if (!isStarted(s)) return undefined;
  if (isRunning(s)) throw new InvalidSwitchError('This Fiber is not yielding');
  return unwind(s);
}

// Throws a zombie error into the fiber at every switch until it finishes (a fiber that
// keeps catching it loops forever, as in node-fibers).
function unwind(s: State): unknown {
  const zombie = new FiberZombieError();
  s.zombie = zombie;
  try {
    do {
      hub.throwInto(s.core!, zombie, true);
      drive(s, 'Fiber.reset()');
    } while (isStarted(s));
  } finally {
    s.zombie = null;
  }
  const out = s.out;
  const value = s.outValue;
  s.out = NOTHING;
  s.outValue = undefined;
  if (out === THREW && value !== zombie) throw value;
  return out === RETURNED ? value : undefined;
}

function fiberYield(value?: unknown): unknown {
  const core = hub.current;
  if (core === null) throw new InvalidSwitchError('yield() called with no fiber running');
  const s = stateFor(core);
  if (s.zombie !== null) throw s.zombie;
  if (s.fn !== null && s.ref!.deref() === undefined) {
    // Its Fiber object is gone, so no run() can ever resume it: unwind now.
    s.zombie = new FiberZombieError();
    throw s.zombie;
  }
  if (s.driven) {
    s.out = YIELDED;
    s.outValue = value;
  }
  s.yielding = true;
  try {
    hub.switchOut('Fiber.yield()');
  } finally {
    s.yielding = false;
  }
  if (s.zombie !== null) throw s.zombie;
  const v = s.transfer;
  s.transfer = undefined;
  return v;
}

function getCurrent(): Fiber | undefined {
  const core = hub.current;
  if (core === null) return undefined;
  const s = stateFor(core);
  let obj = s.ref?.deref();
  if (obj === undefined) {
    obj = Object.create(FiberImpl.prototype) as Fiber;
    attach(obj, s);
  }
  return obj;
}

// Runs (as a FinalizationRegistry callback, on the hub) when a Fiber object was collected.
function unwindCollected(s: State): void {
  // Fiber.current may have made a new object for it, which someone may hold.
  if (s.ref?.deref() !== undefined) return;
  // Blocked in greenstack instead: the hub will resume it, and its next yield() unwinds it.
  if (!s.yielding || !isStarted(s)) return;
  if (hub.current !== null) {
    hub.runCallback(() => unwindCollected(s));
    return;
  }
  try {
    unwind(s);
  } catch (err) {
    report(err);
  }
}

Object.defineProperties(FiberImpl, {
  current: { get: getCurrent, configurable: true },
  yield: { value: fiberYield, writable: true, configurable: true },
  poolSize: {
    get: () => poolSize,
    set: (n: unknown) => {
      if (typeof n !== 'number') throw new InvalidArgTypeError('Fiber.poolSize', 'of type number', n);
      if (!Number.isInteger(n) || n < 0) {
        throw new InvalidArgValueError('Fiber.poolSize', 'must be a non-negative integer', n);
      }
      configure({ maxIdleCarriers: n });
      poolSize = n;
    },
    configurable: true,
  },
  fibersCreated: { get: () => created, configurable: true },
});

Object.defineProperties(FiberImpl.prototype, {
  run: { value: run, writable: true, configurable: true },
  throwInto: { value: throwInto, writable: true, configurable: true },
  reset: { value: reset, writable: true, configurable: true },
  started: {
    get(this: unknown) {
      const s = typeof this === 'object' && this !== null ? byObject.get(this) : undefined;
      return s === undefined ? undefined : isStarted(s);
    },
    configurable: true,
  },
});

export = Fiber;
