// linkable.ts: what every toolkit primitive shares: the FIFO of parked waiters (fibers and promises), option parsing, and link callbacks.
import {
  InvalidArgTypeError,
  TimeoutError,
  validateFunction,
  validateMs,
  validateSignal,
} from '../core/errors.js';
import { hub, type Switchable } from '../core/hub.js';
import { LongTimer, Waiter, type BlockOptions } from '../core/waiter.js';

/** Who holds something: a fiber, or null for the hub (async code). */
export type Owner = Switchable | null;

/**
 * Anything parked in a WaitList: a fiber's Waiter, an AsyncWaiter (a promise), or an
 * internal claim. Only the first switch/throw counts.
 */
export interface Parked<T> {
  switch(value: T): boolean;
  throw(err: unknown): boolean;
  readonly settled: boolean;
}

/** One entry of a WaitList: who waits, what it brought (a putter's item), what it was handed. */
export class WaitNode<T, D> {
  prev: WaitNode<T, D> | null = null;
  next: WaitNode<T, D> | null = null;
  list: WaitList<T, D> | null = null;
  /** The value wake() handed over, so a waiter killed right after can give it back. */
  given: T | undefined = undefined;

  constructor(
    readonly parked: Parked<T>,
    readonly data: D,
  ) {}

  /** Takes the node out of its list, if it is still in one. */
  detach(): void {
    this.list?.remove(this);
  }

  /** The fiber parked here, or null for a promise (async waiters act for the hub). */
  get owner(): Owner {
    return this.parked instanceof Waiter ? this.parked.fiber : null;
  }
}

/**
 * A FIFO of parked waiters. Waiters that settled on their own (timeout, abort, kill)
 * may linger until their fiber runs its cleanup; first() skips and drops them, so a
 * wake-up always goes to someone still waiting.
 */
export class WaitList<T, D = undefined> {
  private head: WaitNode<T, D> | null = null;
  private tail: WaitNode<T, D> | null = null;

  push(parked: Parked<T>, data: D): WaitNode<T, D> {
    const node = new WaitNode<T, D>(parked, data);
    node.list = this;
    node.prev = this.tail;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    return node;
  }

  /** Removes node if it is still in this list (idempotent). */
  remove(node: WaitNode<T, D>): void {
    if (node.list !== this) return;
    if (node.prev === null) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = node.next = null;
    node.list = null;
  }

  /** The first waiter that can still be woken. */
  first(): WaitNode<T, D> | undefined {
    let n = this.head;
    while (n !== null && n.parked.settled) {
      this.remove(n);
      n = this.head;
    }
    return n ?? undefined;
  }

  /** True when someone is still waiting. */
  get waiting(): boolean {
    return this.first() !== undefined;
  }

  /** Number of waiters still waiting. */
  count(): number {
    let k = 0;
    for (let n = this.head; n !== null; n = n.next) if (!n.parked.settled) k++;
    return k;
  }

  /** Removes node (a live waiter from first()) and hands it value. */
  handTo(n: WaitNode<T, D>, value: T): void {
    this.remove(n);
    n.given = value;
    n.parked.switch(value);
  }

  /** Removes the first live waiter and hands it value; undefined if nobody waits. */
  wake(value: T): WaitNode<T, D> | undefined {
    const n = this.first();
    if (n !== undefined) this.handTo(n, value);
    return n;
  }

  wakeAll(value: T): void {
    if (this.head === null) return;
    while (this.wake(value) !== undefined);
  }

  /** Throws makeError() into every waiter (a fresh error each, so stacks are not shared). */
  throwAll(makeError: () => unknown): void {
    for (let n = this.first(); n !== undefined; n = this.first()) {
      this.remove(n);
      n.parked.throw(makeError());
    }
  }
}

/** Options every blocking call takes: `timeout` in ms, `signal` to abort. */
export type WaitArg = number | BlockOptions | undefined;

/**
 * Validates a blocking call's options (a bare number is the timeout). Throws the
 * signal's reason if it is already aborted, before the call does anything.
 * Returns undefined when there is neither timeout nor signal.
 */
export function parseWait(arg: unknown, name = 'options'): BlockOptions | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'number') return { timeout: validateMs('timeout', arg) };
  if (typeof arg !== 'object' || arg === null) {
    throw new InvalidArgTypeError(name, 'of type number or object', arg);
  }
  const o = arg as BlockOptions;
  const timeout = o.timeout === undefined ? undefined : validateMs(`${name}.timeout`, o.timeout);
  const signal = validateSignal(`${name}.signal`, o.signal);
  if (signal?.aborted) throw signal.reason;
  if (timeout === undefined && signal === undefined) return undefined;
  return { timeout, signal };
}

/** `timeout: 0` polls: the call never parks (so it also works on the hub). */
export function isPoll(opts: BlockOptions | undefined): boolean {
  return opts?.timeout === 0;
}

const WAITING = 0;
const DONE = 1;

/**
 * The promise twin of a fiber's Waiter: parks a promise in the same WaitList, so
 * async callers queue in the same FIFO as fibers. Its own timeout settles it with
 * onTimeout() (a value, or what it throws), default a TimeoutError.
 */
export class AsyncWaiter<T> implements Parked<T> {
  readonly promise: Promise<T>;
  /** The WaitList entry, removed as soon as the waiter gives up on its own. */
  node: { detach(): void } | null = null;
  private state = WAITING;
  private resolve!: (value: T) => void;
  private reject!: (err: unknown) => void;
  private timer: LongTimer | undefined;
  private signal: AbortSignal | undefined;
  private readonly onAbort: (() => void) | undefined;

  constructor(opts?: BlockOptions, onTimeout?: () => T) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (opts?.signal !== undefined) {
      const signal = opts.signal;
      this.signal = signal;
      this.onAbort = () => this.giveUp(() => {
        throw signal.reason;
      });
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
    if (opts?.timeout !== undefined) {
      const ms = opts.timeout;
      this.timer = new LongTimer(ms, () =>
        this.giveUp(
          onTimeout ??
            (() => {
              throw new TimeoutError(ms);
            }),
        ),
      );
    }
  }

  get settled(): boolean {
    return this.state !== WAITING;
  }

  switch(value: T): boolean {
    if (this.state !== WAITING) return false;
    this.finish();
    this.resolve(value);
    return true;
  }

  throw(err: unknown): boolean {
    if (this.state !== WAITING) return false;
    this.finish();
    this.reject(err);
    return true;
  }

  private giveUp(outcome: () => T): void {
    if (this.state !== WAITING) return;
    this.node?.detach();
    let value: T;
    try {
      value = outcome();
    } catch (err) {
      this.throw(err);
      return;
    }
    this.switch(value);
  }

  private finish(): void {
    this.state = DONE;
    this.timer?.clear();
    this.timer = undefined;
    if (this.signal !== undefined) this.signal.removeEventListener('abort', this.onAbort!);
    this.signal = undefined;
  }
}

/** What park() does when the fiber's own timeout fires. */
export type OnTimeout<R> = () => R;

/**
 * Parks the current fiber in list (throws BlockingInHubError on the hub) until a
 * waker hands it a value. On its own timeout it returns onTimeout() instead. If it
 * is killed (or aborted) after a value was handed over, onLost(value) gets it back
 * to the primitive before the error propagates, so nothing handed over is lost.
 */
export function park<T, D, R = T>(
  list: WaitList<T, D>,
  data: D,
  what: string,
  opts: BlockOptions | undefined,
  onTimeout: OnTimeout<R>,
  onLost?: (value: T) => void,
): T | R {
  const w = new Waiter<T>(what);
  const node = list.push(w, data);
  try {
    return w.get(opts, what);
  } catch (err) {
    if (w.timedOut) return onTimeout();
    if (w.delivered && onLost !== undefined) onLost(node.given as T);
    throw err;
  } finally {
    list.remove(node);
  }
}

/** The promise twin of park(): queues in the same list; resolves with what it is handed. */
export function parkAsync<T, D>(list: WaitList<T, D>, data: D, opts: BlockOptions | undefined, onTimeout: () => T): Promise<T> {
  const a = new AsyncWaiter<T>(opts, onTimeout);
  a.node = list.push(a, data);
  return a.promise;
}

/** Something iwait() can wait for: a Fiber, an Event, an AsyncResult. */
export interface Waitable {
  readonly ready: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  link(cb: (source: any) => void): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  unlink(cb: (source: any) => void): void;
}

/**
 * gevent's AbstractLinkable: an object that becomes ready and then calls its links,
 * once each, on the hub (a link added when it is already ready is called soon).
 */
export abstract class Linkable implements Waitable {
  private links: Array<(source: this) => void> = [];

  abstract get ready(): boolean;

  /** Calls cb(this) on the hub once this is ready (soon, if it already is). */
  link(cb: (source: this) => void): void {
    validateFunction('cb', cb);
    if (this.ready) hub.runCallback(() => cb(this));
    else this.links.push(cb);
  }

  /** Removes a link that has not been called yet. */
  unlink(cb: (source: this) => void): void {
    const i = this.links.indexOf(cb);
    if (i >= 0) this.links.splice(i, 1);
  }

  /** Schedules every pending link; subclasses call it when they become ready. */
  protected notifyLinks(): void {
    if (this.links.length === 0) return;
    const links = this.links;
    this.links = [];
    for (const cb of links) hub.runCallback(() => cb(this));
  }
}

export { Waiter, type BlockOptions };
