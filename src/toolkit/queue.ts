// queue.ts: Queue (FIFO), LifoQueue, PriorityQueue and JoinableQueue: items handed FIFO to fibers and promises, shutdown, iteration.
import {
  InvalidArgTypeError,
  InvalidArgValueError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  QueueTaskDoneError,
  validateFunction,
  validateOptions,
} from '../core/errors.js';
import type { BlockOptions } from '../core/waiter.js';
import { AsyncWaiter } from './async-waiter.js';
import { parkInList, parkInListAsync } from './park-in-list.js';
import { WaitList, type Parked } from './wait-list.js';
import { isPoll, parseWait, type WaitArg } from './wait-options.js';

const NONE: unique symbol = Symbol('none');
const RESOLVED: Promise<void> = Promise.resolve();
/** The options of the *Nowait methods: never park. */
const POLL = { timeout: 0 };
const QUEUE_FULL = (): never => {
  throw new QueueFull();
};
const QUEUE_EMPTY = (): never => {
  throw new QueueEmpty();
};
const OPEN = 0;
const SHUT = 1;
const IMMEDIATE = 2;

/** How a queue stores its items; the queue does all the waiting. */
export interface QueueStore<T> {
  readonly length: number;
  push(item: T): void;
  /** Removes and returns the next item to hand out. */
  shift(): T;
  peek(): T;
  /** Puts back an item that shift() returned (a getter was killed before it had it). */
  unshift(item: T): void;
  clear(): void;
}

class Deque<T> implements QueueStore<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  peek(): T {
    return this.items[this.head] as T;
  }

  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

class Stack<T> implements QueueStore<T> {
  private items: T[] = [];

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T {
    return this.items.pop() as T;
  }

  peek(): T {
    return this.items[this.items.length - 1];
  }

  unshift(item: T): void {
    this.items.push(item);
  }

  clear(): void {
    this.items = [];
  }
}

interface HeapEntry<T> {
  item: T;
  seq: number;
}

// A binary min-heap; equal priorities come out in insertion order (seq).
class Heap<T> implements QueueStore<T> {
  private entries: Array<HeapEntry<T>> = [];
  private seq = 0;
  private frontSeq = 0;

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get length(): number {
    return this.entries.length;
  }

  push(item: T): void {
    this.insert({ item, seq: this.seq++ });
  }

  unshift(item: T): void {
    // Back ahead of its equals: it was the first of them.
    this.insert({ item, seq: --this.frontSeq });
  }

  shift(): T {
    const top = this.entries[0];
    const last = this.entries.pop()!;
    if (this.entries.length > 0) {
      const e = this.entries;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= e.length) break;
        const r = l + 1;
        const c = r < e.length && this.less(e[r], e[l]) ? r : l;
        if (!this.less(e[c], last)) break;
        e[i] = e[c];
        i = c;
      }
      e[i] = last;
    }
    return top.item;
  }

  peek(): T {
    return this.entries[0].item;
  }

  clear(): void {
    this.entries = [];
  }

  private insert(entry: HeapEntry<T>): void {
    const e = this.entries;
    let i = e.length;
    e.push(entry);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(entry, e[p])) break;
      e[i] = e[p];
      i = p;
    }
    e[i] = entry;
  }

  private less(a: HeapEntry<T>, b: HeapEntry<T>): boolean {
    const c = this.compare(a.item, b.item);
    return c < 0 || (c === 0 && a.seq < b.seq);
  }
}

export interface QueueOptions<T> {
  /** Initial items (at most maxsize of them). */
  items?: Iterable<T>;
}

/**
 * A FIFO queue for fibers and async code. put() hands an item straight to the
 * longest waiting getter (fiber or promise) or stores it; get() takes the oldest,
 * and a getter killed or timed out at the moment it was handed an item gives it
 * back to the front, so no item is ever lost. maxsize undefined, 0 or Infinity:
 * unbounded (gevent's convention; use Channel for a rendezvous).
 */
export class Queue<T = unknown> implements Iterable<T>, AsyncIterable<T> {
  /** @internal how many items may be stored (0 for a Channel) */
  protected capacity: number;
  /** @internal */ protected readonly store: QueueStore<T>;
  private readonly getters = new WaitList<T>();
  private readonly putters = new WaitList<void, T>();
  private readonly peekers = new WaitList<T>();
  private shut = OPEN;
  // What blocking calls are called in errors, built once (not per call).
  private readonly names = {
    get: `${this.constructor.name}.get()`,
    put: `${this.constructor.name}.put()`,
    peek: `${this.constructor.name}.peek()`,
  };

  constructor(maxsize?: number, options?: QueueOptions<T>) {
    if (maxsize !== undefined && typeof maxsize !== 'number') {
      throw new InvalidArgTypeError('maxsize', 'of type number', maxsize);
    }
    if (maxsize !== undefined && maxsize !== Infinity && (!Number.isInteger(maxsize) || maxsize < 0)) {
      throw new InvalidArgValueError('maxsize', 'must be a non-negative integer or Infinity', maxsize);
    }
    const opts = validateOptions('options', options);
    this.capacity = maxsize === undefined || maxsize === 0 ? Infinity : maxsize;
    this.store = this._makeStore(opts);
    if (opts.items !== undefined) {
      const items = opts.items as Iterable<T>;
      if (items === null || typeof items[Symbol.iterator] !== 'function') {
        throw new InvalidArgTypeError('options.items', 'iterable', items);
      }
      for (const item of items) {
        this._validateItem(item);
        if (this.store.length >= this.capacity) {
          throw new InvalidArgValueError('options.items', `must hold at most maxsize (${maxsize}) items`, opts.items);
        }
        this.store.push(item);
      }
    }
  }

  /** Most items it stores (Infinity: unbounded; 0: a Channel). */
  get maxsize(): number {
    return this.capacity;
  }

  /** Items stored now. */
  get size(): number {
    return this.store.length;
  }

  /** True when getNowait() would throw (nothing stored, no putter waiting). */
  empty(): boolean {
    return this.store.length === 0 && !this.putters.waiting;
  }

  /** True when putNowait() would throw (no room, no getter waiting). */
  full(): boolean {
    return !this.getters.waiting && this.store.length >= this.capacity;
  }

  get isShutdown(): boolean {
    return this.shut !== OPEN;
  }

  /** Adds item without blocking; throws QueueFull (no room) or QueueShutDown. Works anywhere. */
  putNowait(item: T): void {
    this._validateItem(item);
    if (this.shut !== OPEN) throw new QueueShutDown();
    if (!this.offer(item)) throw new QueueFull();
  }

  /**
   * Adds item, blocking the fiber while the queue is full. Throws QueueFull if the
   * timeout expires first (`timeout: 0` only polls), QueueShutDown if the queue is or
   * gets shut down. A put that was granted completes even if the fiber is killed
   * at that moment (the item is in the queue).
   */
  put(item: T, options?: WaitArg): void {
    const opts = this.putNow(item, options);
    if (opts !== NONE) parkInList(this.putters, item, this.names.put, opts, QUEUE_FULL);
  }

  /** The promise twin of put(); queues FIFO with blocked fibers. */
  putAsync(item: T, options?: WaitArg): Promise<void> {
    // Not an async function: the hot path skips a promise and its extra ticks.
    try {
      const opts = this.putNow(item, options);
      return opts === NONE ? RESOLVED : parkInListAsync(this.putters, item, opts, QUEUE_FULL);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Removes and returns the next item without blocking; QueueEmpty or QueueShutDown if none. */
  getNowait(): T {
    return this.getNow(POLL) as T;
  }

  /**
   * Removes and returns the next item, blocking the fiber while there is none.
   * Throws QueueEmpty if the timeout expires first, QueueShutDown once the queue is
   * shut down and drained (at once for shutdown(true)).
   */
  get(options?: WaitArg): T {
    const opts = parseWait(options);
    const item = this.getNow(opts);
    if (item !== NONE) return item;
    return parkInList(this.getters, undefined, this.names.get, opts, QUEUE_EMPTY, (lost) => this.giveBack(lost));
  }

  /** The promise twin of get(); queues FIFO with blocked fibers. */
  getAsync(options?: WaitArg): Promise<T> {
    try {
      const opts = parseWait(options);
      const item = this.getNow(opts);
      return item !== NONE ? Promise.resolve(item) : parkInListAsync(this.getters, undefined, opts, QUEUE_EMPTY);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The next item without removing it; QueueEmpty or QueueShutDown if none. */
  peekNowait(): T {
    return this.peekNow(POLL) as T;
  }

  /** The next item without removing it, blocking while there is none (errors as get()). */
  peek(options?: WaitArg): T {
    const opts = parseWait(options);
    const item = this.peekNow(opts);
    return item !== NONE ? item : parkInList(this.peekers, undefined, this.names.peek, opts, QUEUE_EMPTY);
  }

  /** The promise twin of peek(). */
  async peekAsync(options?: WaitArg): Promise<T> {
    const opts = parseWait(options);
    const item = this.peekNow(opts);
    return item !== NONE ? item : parkInListAsync(this.peekers, undefined, opts, QUEUE_EMPTY);
  }

  // The plan steps each blocking method and its promise twin share: do it now if it
  // can be done (or throw why not), else tell the caller to park.

  /** Stores or hands over item now (NONE), else the options to park with (peekers saw it). */
  private putNow(item: T, options: WaitArg): BlockOptions | undefined | typeof NONE {
    this._validateItem(item);
    const opts = parseWait(options);
    if (this.shut !== OPEN) throw new QueueShutDown();
    if (this.offer(item)) return NONE;
    if (isPoll(opts)) throw new QueueFull();
    this.peekers.wakeAll(item);
    return opts;
  }

  /** The next item taken now, or NONE when the caller must park. */
  private getNow(opts: BlockOptions | undefined): T | typeof NONE {
    const item = this.poll();
    if (item !== NONE) return item;
    if (this.shut !== OPEN) throw new QueueShutDown();
    if (isPoll(opts)) throw new QueueEmpty();
    return NONE;
  }

  /** The next item (left in place) now, or NONE when the caller must park. */
  private peekNow(opts: BlockOptions | undefined): T | typeof NONE {
    const item = this.peekItem();
    if (item !== NONE) return item;
    if (this.shut !== OPEN) throw new QueueShutDown();
    if (isPoll(opts)) throw new QueueEmpty();
    return NONE;
  }

  /**
   * Shuts the queue down (Python 3.13 semantics): puts throw QueueShutDown, blocked
   * putters wake with it; gets drain what is stored, then throw it (blocked getters
   * wake with it). immediate: drop the stored items too, so gets throw at once.
   */
  shutdown(immediate = false): void {
    if (typeof immediate !== 'boolean') throw new InvalidArgTypeError('immediate', 'of type boolean', immediate);
    if (this.shut === IMMEDIATE || (this.shut === SHUT && !immediate)) return;
    this.shut = immediate ? IMMEDIATE : SHUT;
    if (immediate && this.store.length > 0) {
      const n = this.store.length;
      this.store.clear();
      this._dropped(n);
    }
    const error = () => new QueueShutDown();
    this.putters.throwAll(error);
    if (this.store.length === 0) {
      this.getters.throwAll(error);
      this.peekers.throwAll(error);
    }
  }

  /** In a fiber: `for (const x of queue)` gets items (blocking) until the queue is shut down. */
  *[Symbol.iterator](): Generator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = this.get();
      } catch (err) {
        if (err instanceof QueueShutDown) return;
        throw err;
      }
      yield item;
    }
  }

  /**
   * On the hub: `for await (const x of queue)` until the queue is shut down. Items
   * come through as they are, thenables included (getAsync(), being a promise,
   * would unwrap a Fiber or AsyncResult item into its value).
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    let done = false;
    let pending: AsyncWaiter<{ item: T }> | null = null;
    const it: AsyncIterableIterator<T> = {
      next: async () => {
        if (done) return { done: true, value: undefined };
        try {
          const box = this.getBoxed();
          pending = box.waiter;
          return { done: false, value: (await box.promise).item };
        } catch (err) {
          done = true;
          if (err instanceof QueueShutDown) return { done: true, value: undefined };
          throw err;
        } finally {
          pending = null;
        }
      },
      // Called while a next() is still waiting: that get is withdrawn (its next() ends
      // the iteration) instead of taking an item nobody would read.
      return: async () => {
        done = true;
        pending?.throw(new QueueShutDown());
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  // getAsync() with the item in a box, so a thenable item is not adopted by the promise.
  private getBoxed(): { promise: Promise<{ item: T }>; waiter: AsyncWaiter<{ item: T }> | null } {
    const item = this.poll();
    if (item !== NONE) return { promise: Promise.resolve({ item }), waiter: null };
    if (this.shut !== OPEN) return { promise: Promise.reject(new QueueShutDown()), waiter: null };
    const a = new AsyncWaiter<{ item: T }>();
    const boxed: Parked<T> = {
      switch: (value: T) => a.switch({ item: value }),
      throw: (err: unknown) => a.throw(err),
      get settled() {
        return a.settled;
      },
    };
    this.getters.push(boxed, undefined);
    return { promise: a.promise, waiter: a };
  }

  /** @internal The storage this kind of queue uses. */
  protected _makeStore(options: Record<string, unknown>): QueueStore<T> {
    void options;
    return new Deque<T>();
  }

  /** @internal Rejects items the store cannot hold (PriorityQueue). */
  protected _validateItem(item: T): void {
    void item;
  }

  /** @internal An item entered the queue (JoinableQueue counts it). */
  protected _accepted(): void {}

  /** @internal n items were dropped by shutdown(true) (JoinableQueue counts them done). */
  protected _dropped(n: number): void {
    void n;
  }

  // Places item at once if it can: to the first waiting getter, else into the store.
  private offer(item: T): boolean {
    const g = this.getters.first();
    if (g !== undefined) {
      this.peekers.wakeAll(item);
      this._accepted();
      this.getters.handTo(g, item);
      return true;
    }
    if (this.store.length < this.capacity) {
      this.store.push(item);
      this._accepted();
      if (this.peekers.waiting) this.peekers.wakeAll(this.store.peek());
      return true;
    }
    return false;
  }

  // Takes the next item if there is one: from the store (then lets waiting putters
  // in), or straight from a waiting putter (a rendezvous).
  private poll(): T | typeof NONE {
    if (this.store.length > 0) {
      const item = this.store.shift();
      this.refill();
      return item;
    }
    const p = this.putters.first();
    if (p === undefined) return NONE;
    this.putters.remove(p);
    this._accepted();
    p.parked.switch(undefined);
    return p.data;
  }

  private refill(): void {
    while (this.store.length < this.capacity) {
      const p = this.putters.first();
      if (p === undefined) break;
      this.putters.remove(p);
      this.store.push(p.data);
      this._accepted();
      p.parked.switch(undefined);
    }
  }

  private peekItem(): T | typeof NONE {
    if (this.store.length > 0) return this.store.peek();
    const p = this.putters.first();
    return p === undefined ? NONE : p.data;
  }

  // A getter was handed item but killed before it returned: the item goes to the
  // next getter, or back to the front of the store.
  private giveBack(item: T): void {
    if (this.shut === IMMEDIATE) {
      this._dropped(1);
      return;
    }
    if (this.getters.wake(item) !== undefined) return;
    this.store.unshift(item);
    if (this.peekers.waiting) this.peekers.wakeAll(this.store.peek());
  }
}

/** A Queue that hands out the most recently put item first. */
export class LifoQueue<T = unknown> extends Queue<T> {
  protected override _makeStore(): QueueStore<T> {
    return new Stack<T>();
  }
}

export interface PriorityQueueOptions<T> extends QueueOptions<T> {
  /**
   * Orders items, lowest first. Default: numbers, bigints and strings by value, and
   * arrays element by element like Python tuples (so `[priority, item]` works;
   * elements that are not comparable count as equal). Ties come out in put order.
   */
  compare?: (a: T, b: T) => number;
}

function rank(v: unknown): number {
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 0;
    case 'string':
      return 1;
    default:
      return Array.isArray(v) ? 2 : 3;
  }
}

/** The default PriorityQueue order (see PriorityQueueOptions.compare). */
export function naturalCompare(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (ra === 2) {
    const x = a as unknown[];
    const y = b as unknown[];
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const c = naturalCompare(x[i], y[i]);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  }
  if (ra === 3) return 0;
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** A Queue that hands out the lowest item first (see PriorityQueueOptions.compare). */
export class PriorityQueue<T = unknown> extends Queue<T> {
  private declare natural: boolean;

  constructor(maxsize?: number, options?: PriorityQueueOptions<T>) {
    super(maxsize, options);
  }

  protected override _makeStore(options: Record<string, unknown>): QueueStore<T> {
    const compare = options.compare;
    if (compare !== undefined) validateFunction('options.compare', compare);
    this.natural = compare === undefined;
    return new Heap<T>((compare as ((a: T, b: T) => number) | undefined) ?? naturalCompare);
  }

  protected override _validateItem(item: T): void {
    if (this.natural && rank(item) === 3) {
      throw new InvalidArgTypeError(
        'item',
        'a number, bigint, string or array (or give the PriorityQueue a compare option)',
        item,
      );
    }
  }
}

/** A Queue that counts unfinished items: taskDone() after each get(), join() waits for all. */
export class JoinableQueue<T = unknown> extends Queue<T> {
  private unfinished: number;
  private readonly joiners = new WaitList<boolean>();

  constructor(maxsize?: number, options?: QueueOptions<T>) {
    super(maxsize, options);
    this.unfinished = this.size;
  }

  /** Items put and not yet marked done. */
  get unfinishedTasks(): number {
    return this.unfinished;
  }

  /** Marks one item done; throws QueueTaskDoneError if more than were put. Works anywhere. */
  taskDone(): void {
    if (this.unfinished <= 0) throw new QueueTaskDoneError();
    if (--this.unfinished === 0) this.joiners.wakeAll(true);
  }

  /** Blocks until every item put has been marked done; false if the timeout expired first. */
  join(options?: WaitArg): boolean {
    const opts = parseWait(options);
    if (this.unfinished === 0) return true;
    if (isPoll(opts)) return false;
    return parkInList(this.joiners, undefined, 'JoinableQueue.join()', opts, () => false);
  }

  /** The promise twin of join(). */
  async joinAsync(options?: WaitArg): Promise<boolean> {
    const opts = parseWait(options);
    if (this.unfinished === 0) return true;
    if (isPoll(opts)) return false;
    return parkInListAsync(this.joiners, undefined, opts, () => false);
  }

  protected override _accepted(): void {
    this.unfinished++;
  }

  protected override _dropped(n: number): void {
    this.unfinished -= n;
    if (this.unfinished === 0) this.joiners.wakeAll(true);
  }
}
