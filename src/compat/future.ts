// future.ts: greenstack/future: node-fibers 5's Future (fiber-aware futures) and Function.prototype.future.
//
// Built on greenstack/fibers exactly as node-fibers built it on Fiber: wait() yields the
// current fiber and the resolving callback resumes it with run(), so the waiting fiber
// runs again synchronously inside return()/throw(). Any greenstack fiber may wait
// (Fiber.current adopts it), not only fibers made by Fiber().
import Fiber = require('./fibers.js');
import {
  BlockingInHubError,
  FutureNotReadyError,
  FutureResolvedError,
  InvalidArgTypeError,
  InvalidArgValueError,
  validateFunction,
} from '../core/errors.js';
import { nextTick } from '../core/timers.js';

// Futures carry values of any type, as in node-fibers.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
type Callback<T> = (err: Any, value?: T) => void;
type AnyFunction = (...args: Any[]) => unknown;

interface Future<T = Any> {
  /** Set once return() or throw() was called. */
  resolved?: boolean;
  value?: T;
  error?: unknown;
  /** What the wrapped function returned (Future.wrap). */
  _?: unknown;
  /** The value; throws the error; throws FutureNotReadyError before it resolves. */
  get(): T;
  /** Blocks the current fiber until resolved, then as get(). */
  wait(): T;
  return(value?: T): void;
  throw(error: unknown): void;
  /** cb(err, value) once resolved (at once if it is); or (future, cb): errors go to future.throw. */
  resolve(cb: Callback<T>): this;
  resolve(errorsTo: Future<Any>, cb: (value: T) => void): this;
  resolveSuccess(cb: (value: T) => void): this;
  /** Resolves future the way this one resolves. */
  proxy(future: Future<T>): void;
  /** Throws this one's error (if any) into future or each of futures. */
  proxyErrors(futures: Future<Any> | Array<Future<Any>>): this;
  /** A node-style callback that resolves this future. */
  resolver(): Callback<T>;
  isResolved(): boolean;
  /** Rethrows the error (if it fails) to the event loop: an uncaught exception. */
  detach(): void;
  promise(): Promise<T>;
}

// proxy() and friends settle the target later, on the hub: check it now, where the caller is.
function validateFuture(name: string, value: unknown): void {
  const f = value as Future | null | undefined;
  if (typeof f?.return !== 'function' || typeof f.throw !== 'function') {
    throw new InvalidArgTypeError(name, 'a Future', value);
  }
}

interface FutureConstructor {
  new <T = Any>(): Future<T>;
  readonly prototype: Future;
  /**
   * Wraps a node-style async function (callback last) to return a Future; for an object,
   * a new object (prototype: the original) with a `<name><suffix>` wrapper (suffix default
   * 'Future') for each function. multi: the callback's values after err become an array.
   */
  wrap(fnOrObject: AnyFunction | object, multi?: boolean, suffix?: string, stop?: boolean): Any;
  /** Runs fn in a new fiber, returning a Future of its result; several: a Future of their results. */
  task<T>(fn: () => T): Future<T>;
  task(...fns: Array<() => unknown>): Future<unknown[]>;
  /** Blocks the current fiber until every future (arrays are flattened) has resolved; does not throw their errors. */
  wait(...futures: Array<Future<Any> | Array<Future<Any>>>): void;
  fromPromise<T>(promise: PromiseLike<T>): Future<T>;
}

interface FiberFutureFields {
  fn: AnyFunction;
  context: unknown;
  args: ArrayLike<unknown>;
  started: boolean;
}

function FutureImpl(this: unknown): Future {
  if (!(this instanceof FutureImpl)) return new Future();
  return this as Future;
}

const Future = FutureImpl as unknown as FutureConstructor;
Object.defineProperty(FutureImpl, 'name', { value: 'Future' });

// A call run in a fiber of its own (fn.future(), Future.task). It starts on the next tick,
// unless Future.wait() gets to it first and runs it inline in the waiting fiber.
function FiberFutureImpl(this: Future & FiberFutureFields, fn: AnyFunction, context: unknown, args: ArrayLike<unknown>): void {
  this.fn = fn;
  this.context = context;
  this.args = args;
  this.started = false;
  nextTick(() => {
    if (this.started) return;
    this.started = true;
    Fiber(() => {
      try {
        this.return(fn.apply(context, Array.from(args)));
      } catch (err) {
        this.throw(err);
      }
    }).run();
  });
}
Object.setPrototypeOf(FiberFutureImpl.prototype, FutureImpl.prototype);

function fiberFuture(fn: AnyFunction, context: unknown, args: ArrayLike<unknown>): Future & FiberFutureFields {
  return new (FiberFutureImpl as unknown as new (
    fn: AnyFunction,
    context: unknown,
    args: ArrayLike<unknown>,
  ) => Future & FiberFutureFields)(fn, context, args);
}

function isFiberFuture(f: unknown): f is Future & FiberFutureFields {
  return f instanceof FiberFutureImpl;
}

type Entry<T> = [Callback<T> | Future<Any>, ((value: T) => void) | undefined];

// Callbacks run synchronously inside return()/throw(); one that throws must not stop the
// others or the resolver, so its error goes to the event loop (node-fibers 5 does the same).
function settle<T>(future: Future<T>): void {
  const callbacks = (future as { callbacks?: Array<Entry<T>> }).callbacks;
  if (callbacks === undefined) return;
  delete (future as { callbacks?: Array<Entry<T>> }).callbacks;
  for (const [first, onValue] of callbacks) {
    try {
      deliver(future, first, onValue);
    } catch (err) {
      nextTick(() => {
        throw err;
      });
    }
  }
}

function deliver<T>(future: Future<T>, first: Callback<T> | Future<Any>, onValue: ((value: T) => void) | undefined): void {
  if (onValue !== undefined) {
    if (future.error) (first as Future<Any>).throw(future.error);
    else onValue(future.value as T);
  } else {
    (first as Callback<T>)(future.error, future.value);
  }
}

const methods: ThisType<Future> & Omit<Future, 'resolved' | 'value' | 'error' | '_'> = {
  get() {
    if (!this.resolved) throw new FutureNotReadyError();
    if (this.error) throw this.error;
    return this.value;
  },

  return(value?: unknown) {
    if (this.resolved) throw new FutureResolvedError();
    this.value = value;
    this.resolved = true;
    settle(this);
  },

  throw(error: unknown) {
    if (this.resolved) throw new FutureResolvedError();
    if (!error) throw new InvalidArgValueError('error', 'must not be empty (Future.throw() needs a truthy error)', error);
    this.error = error;
    this.resolved = true;
    settle(this);
  },

  isResolved() {
    return this.resolved === true;
  },

  resolver() {
    return (err: unknown, value?: unknown) => {
      if (err) this.throw(err);
      else this.return(value);
    };
  },

  resolve(first: Callback<unknown> | Future<Any>, onValue?: (value: unknown) => void) {
    if (onValue) {
      validateFunction('callback', onValue);
      if (typeof (first as Future | null)?.throw !== 'function') {
        throw new InvalidArgTypeError('future', 'a Future', first);
      }
    } else {
      validateFunction('callback', first);
      onValue = undefined;
    }
    if (this.resolved) {
      deliver(this, first, onValue);
    } else {
      const self = this as Future & { callbacks?: Array<Entry<unknown>> };
      (self.callbacks ??= []).push([first, onValue]);
    }
    return this;
  },

  resolveSuccess(cb: (value: unknown) => void) {
    validateFunction('callback', cb);
    this.resolve((err, value) => {
      if (!err) cb(value);
    });
    return this;
  },

  proxy(future: Future) {
    validateFuture('future', future);
    this.resolve((err, value) => {
      if (err) future.throw(err);
      else future.return(value);
    });
  },

  proxyErrors(futures: Future | Future[]) {
    if (Array.isArray(futures)) futures.forEach((f, i) => validateFuture(`futures[${i}]`, f));
    else validateFuture('futures', futures);
    this.resolve((err) => {
      if (!err) return;
      if (Array.isArray(futures)) for (const f of futures) f.throw(err);
      else futures.throw(err);
    });
    return this;
  },

  detach() {
    this.resolve((err) => {
      if (err) throw err;
    });
  },

  promise() {
    return new Promise((resolve, reject) => {
      this.resolve((err, value) => (err ? reject(err) : resolve(value)));
    });
  },

  wait() {
    if (!this.isResolved()) Future.wait(this);
    return this.get();
  },
} as ThisType<Future> & Omit<Future, 'resolved' | 'value' | 'error' | '_'>;

for (const [name, value] of Object.entries(methods)) {
  Object.defineProperty(FutureImpl.prototype, name, { value, writable: true, configurable: true });
}

function wait(...args: unknown[]): void {
  const futures: Future[] = [];
  let inline: (Future & FiberFutureFields) | undefined;
  const add = (f: unknown): void => {
    if (!(f instanceof FutureImpl)) throw new InvalidArgTypeError('futures', 'Futures or arrays of Futures', f);
    const future = f as Future;
    if (future.isResolved()) return;
    if (inline === undefined && isFiberFuture(future) && !future.started) inline = future;
    else futures.push(future);
  };
  for (const arg of args) {
    if (Array.isArray(arg)) arg.forEach(add);
    else add(arg);
  }
  const fiber = Fiber.current;
  if (fiber === undefined) throw new BlockingInHubError('Future.wait()');

  let pending = futures.length + (inline === undefined ? 0 : 1);
  let waiting = false;
  let abandoned = false;
  const done = (): void => {
    if (--pending === 0 && waiting && !abandoned) fiber.run();
  };
  for (const f of futures) f.resolve(done);
  // A fiber future nobody started yet runs right here, in the waiting fiber.
  if (inline !== undefined) {
    inline.started = true;
    try {
      inline.return(inline.fn.apply(inline.context, Array.from(inline.args)));
    } catch (err) {
      inline.throw(err);
    }
    pending--;
  }
  if (pending === 0) return;
  waiting = true;
  try {
    // Only done() ends the wait; a stray run() of this fiber just yields again.
    do Fiber.yield();
    while (pending > 0);
  } catch (err) {
    // Thrown into (throwInto, reset, kill, Timeout): done() must not run it later.
    abandoned = true;
    throw err;
  } finally {
    waiting = false;
  }
}

function wrap(fnOrObject: unknown, multi?: boolean, suffix?: string, stop?: boolean): unknown {
  if (typeof fnOrObject === 'object' && fnOrObject !== null) {
    const wrapped = Object.create(fnOrObject) as Record<string, unknown>;
    for (const name in fnOrObject) {
      const member = wrapped[name];
      if (typeof member === 'function') {
        wrapped[suffix === undefined ? `${name}Future` : name + suffix] = wrap(member, multi, suffix, stop);
      }
    }
    return wrapped;
  }
  if (typeof fnOrObject !== 'function') {
    throw new InvalidArgTypeError('fnOrObject', 'a function or an object', fnOrObject);
  }
  const original = fnOrObject as AnyFunction;
  const wrapper = function (this: unknown, ...args: unknown[]): Future {
    const future = new Future();
    const cb = future.resolver();
    args.push(multi ? (err: unknown, ...values: unknown[]) => cb(err, values) : cb);
    future._ = original.apply(this, args);
    return future;
  };
  // Functions with methods of their own (`request.get`): wrap those too, reachable
  // through the wrapper's prototype.
  if (!stop) {
    const proto = Object.create(original) as Record<string, unknown>;
    for (const name in original) {
      if (Object.prototype.hasOwnProperty.call(original, name) && typeof proto[name] === 'function') {
        proto[name] = proto[name];
      }
    }
    Object.setPrototypeOf(wrapper, wrap(proto, multi, suffix, true) as object);
  }
  return wrapper;
}

function task(...fns: unknown[]): Future {
  fns.forEach((fn, i) => validateFunction(`fn[${i}]`, fn));
  if (fns.length === 1) return fiberFuture(fns[0] as AnyFunction, undefined, []);
  const all = new Future<unknown[]>();
  const values = new Array<unknown>(fns.length);
  let pending = fns.length;
  let error: unknown;
  fns.forEach((fn, i) => {
    fiberFuture(fn as AnyFunction, undefined, []).resolve((err, value) => {
      if (err) error = err;
      values[i] = value;
      if (--pending === 0) {
        if (error) all.throw(error);
        else all.return(values);
      }
    });
  });
  return all;
}

function fromPromise(promise: unknown): Future {
  if (typeof (promise as PromiseLike<unknown> | null)?.then !== 'function') {
    throw new InvalidArgTypeError('promise', 'a Promise or thenable', promise);
  }
  const future = new Future();
  (promise as PromiseLike<unknown>).then(
    (value) => future.return(value),
    (err) => future.throw(err),
  );
  return future;
}

Object.assign(FutureImpl, { wrap, task, wait, fromPromise });

// node-fibers installs this when future.js loads, and so does this module (only this one).
Object.defineProperty(Function.prototype, 'future', {
  value: function future(this: AnyFunction, detach?: boolean) {
    const fn = this;
    const futureFn = function (this: unknown, ...args: unknown[]): Future {
      const f = fiberFuture(fn, this, args);
      if (detach) f.detach();
      return f;
    };
    futureFn.toString = () => `<<Future ${fn}.future()>>`;
    return futureFn;
  },
  writable: true,
  configurable: true,
});

declare global {
  interface Function {
    /** greenstack/future: a function that runs this one in a new fiber and returns a Future of its result. */
    future?(detach?: boolean): (...args: Any[]) => Future;
  }
}

export = Future;
