// iwait.ts: iwait/waitAny/waitAll (and async twins): wait for several fibers, events or results, yielding each as it becomes ready.
import { InvalidArgTypeError, InvalidArgValueError, validateOptions } from '../core/errors.js';
import { Waiter, type BlockOptions } from '../core/waiter.js';
import { AsyncWaiter } from './async-waiter.js';
import type { Waitable } from './linkable.js';
import { parseWait } from './wait-options.js';

export interface IwaitOptions extends BlockOptions {
  /** Stop after this many objects became ready (default: all of them). */
  count?: number;
}

interface Plan<T> {
  list: T[];
  count: number;
  deadline: number;
  signal: AbortSignal | undefined;
}

function plan<T extends Waitable>(objects: Iterable<T>, options: unknown): Plan<T> {
  if (objects === null || typeof (objects as Iterable<T>)?.[Symbol.iterator] !== 'function') {
    throw new InvalidArgTypeError('objects', 'an iterable of fibers, events or results', objects);
  }
  const list = [...objects];
  for (const o of list) {
    if (
      typeof o !== 'object' ||
      o === null ||
      typeof (o as Waitable).link !== 'function' ||
      typeof (o as Waitable).unlink !== 'function' ||
      !('ready' in o)
    ) {
      throw new InvalidArgTypeError('objects[]', 'a Fiber, Event, AsyncResult or other object with ready/link/unlink', o);
    }
  }
  const opts = validateOptions('options', typeof options === 'number' ? { timeout: options } : options);
  let count = list.length;
  if (opts.count !== undefined) {
    const c = opts.count;
    if (typeof c !== 'number') throw new InvalidArgTypeError('options.count', 'of type number', c);
    if (!Number.isInteger(c) || c < 0) throw new InvalidArgValueError('options.count', 'must be a non-negative integer', c);
    count = Math.min(c, list.length);
  }
  const wait = parseWait({ timeout: opts.timeout, signal: opts.signal });
  const deadline = wait?.timeout === undefined ? Infinity : performance.now() + wait.timeout;
  return { list, count, deadline, signal: wait?.signal };
}

// The objects that are ready, in the order they became ready; links the rest.
class Tracker<T extends Waitable> {
  readonly ready: T[] = [];
  private readonly linked: T[] = [];
  private closed = false;
  onChange: (() => void) | null = null;

  private readonly onReady = (o: T): void => {
    if (this.closed) return;
    this.ready.push(o);
    this.onChange?.();
  };

  constructor(list: T[]) {
    for (const o of list) {
      if (o.ready) this.ready.push(o);
      else {
        o.link(this.onReady);
        this.linked.push(o);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const o of this.linked) o.unlink(this.onReady);
  }
}

function remaining(deadline: number): number | undefined {
  if (deadline === Infinity) return undefined;
  return Math.max(0, deadline - performance.now());
}

/**
 * In a fiber: yields the objects (fibers, Events, AsyncResults) as they become
 * ready, those already ready first, until `count` were yielded or the overall
 * `timeout` expires (then it just stops). Objects already ready need no wait, so it
 * also works on the hub when nothing has to be waited for.
 */
export function iwait<T extends Waitable>(objects: Iterable<T>, options?: number | IwaitOptions): Generator<T, void, undefined> {
  return iwaitGen(plan(objects, options));
}

function* iwaitGen<T extends Waitable>(p: Plan<T>): Generator<T, void, undefined> {
  const t = new Tracker(p.list);
  try {
    for (let yielded = 0; yielded < p.count; yielded++) {
      while (t.ready.length === 0) {
        const left = remaining(p.deadline);
        if (left === 0) return;
        const w = new Waiter<void>('iwait()');
        t.onChange = () => w.switch(undefined);
        try {
          w.get({ timeout: left, signal: p.signal }, 'iwait()');
        } catch (err) {
          if (w.timedOut) return;
          throw err;
        } finally {
          t.onChange = null;
        }
      }
      yield t.ready.shift()!;
    }
  } finally {
    t.close();
  }
}

/**
 * The async twin of iwait(): `for await (const f of iwaitAsync(fibers))` on the hub.
 * (A hand-written iterator, not an async generator: `yield` in an async generator
 * would unwrap the thenable Fiber/AsyncResult into its value.)
 */
export function iwaitAsync<T extends Waitable>(objects: Iterable<T>, options?: number | IwaitOptions): AsyncIterableIterator<T> {
  return new AsyncIwait(plan(objects, options));
}

const TIMED_OUT: unique symbol = Symbol('timed out');

class AsyncIwait<T extends Waitable> implements AsyncIterableIterator<T> {
  private readonly t: Tracker<T>;
  private yielded = 0;
  private done = false;

  constructor(private readonly p: Plan<T>) {
    this.t = new Tracker(p.list);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    try {
      while (!this.done && this.yielded < this.p.count) {
        if (this.t.ready.length > 0) {
          this.yielded++;
          return { done: false, value: this.t.ready.shift()! };
        }
        const left = remaining(this.p.deadline);
        if (left === 0) break;
        const a = new AsyncWaiter<unknown>({ timeout: left, signal: this.p.signal }, () => TIMED_OUT);
        this.t.onChange = () => a.switch(undefined);
        try {
          if ((await a.promise) === TIMED_OUT) break;
        } finally {
          this.t.onChange = null;
        }
      }
    } catch (err) {
      this.close();
      throw err;
    }
    this.close();
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<T>> {
    this.close();
    return { done: true, value: undefined };
  }

  private close(): void {
    this.done = true;
    this.t.close();
  }
}

/** Blocks until one of the objects is ready and returns it; undefined on timeout. */
export function waitAny<T extends Waitable>(objects: Iterable<T>, options?: number | BlockOptions): T | undefined {
  for (const o of iwait(objects, { ...toOptions(options), count: 1 })) return o;
  return undefined;
}

/** Blocks until all objects are ready (or the timeout); returns those that are, in readiness order. */
export function waitAll<T extends Waitable>(objects: Iterable<T>, options?: number | IwaitOptions): T[] {
  return [...iwait(objects, options)];
}

/**
 * The promise twin of waitAny(): resolves with `[first]`, or `[]` on timeout
 * (`const [f] = await waitAnyAsync(fibers)`). An array, because a promise cannot
 * resolve to a Fiber or AsyncResult: they are thenable and would be unwrapped.
 */
export async function waitAnyAsync<T extends Waitable>(objects: Iterable<T>, options?: number | BlockOptions): Promise<[T] | []> {
  for await (const o of iwaitAsync(objects, { ...toOptions(options), count: 1 })) return [o];
  return [];
}

/** The promise twin of waitAll(). */
export async function waitAllAsync<T extends Waitable>(objects: Iterable<T>, options?: number | IwaitOptions): Promise<T[]> {
  const out: T[] = [];
  for await (const o of iwaitAsync(objects, options)) out.push(o);
  return out;
}

function toOptions(options: number | BlockOptions | undefined): BlockOptions {
  if (typeof options === 'number') return { timeout: options };
  return validateOptions('options', options) as BlockOptions;
}

export type { Waitable };
