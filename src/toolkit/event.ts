// event.ts: Event (a flag fibers and promises wait on) and AsyncResult (a one-shot value or error, thenable).
import { TimeoutError } from '../core/errors.js';
import { Linkable } from './linkable.js';
import { parkInList, parkInListAsync } from './park-in-list.js';
import { WaitList } from './wait-list.js';
import { isPoll, parseWait, type WaitArg } from './wait-options.js';

const FALSE = () => false;

/**
 * A flag. set() wakes every waiter (fibers and promises) and calls the links;
 * clear() resets it. set() and clear() work from anywhere.
 */
export class Event extends Linkable {
  private flag = false;
  private readonly waiters = new WaitList<boolean>();

  /** Same as isSet(): lets iwait() and waitAny() wait on events. */
  get ready(): boolean {
    return this.flag;
  }

  isSet(): boolean {
    return this.flag;
  }

  /** Sets the flag and wakes everyone waiting. */
  set(): void {
    if (this.flag) return;
    this.flag = true;
    this.waiters.wakeAll(true);
    this.notifyLinks();
  }

  /** Resets the flag; later wait() calls block again. */
  clear(): void {
    this.flag = false;
  }

  /** Blocks until the flag is set; true, or false if the timeout expired first. */
  wait(options?: WaitArg): boolean {
    const opts = parseWait(options);
    if (this.flag) return true;
    if (isPoll(opts)) return false;
    return parkInList(this.waiters, undefined, 'Event.wait()', opts, FALSE);
  }

  /** The promise twin of wait(). */
  async waitAsync(options?: WaitArg): Promise<boolean> {
    const opts = parseWait(options);
    if (this.flag) return true;
    if (isPoll(opts)) return false;
    return parkInListAsync(this.waiters, undefined, opts, FALSE);
  }
}

const PENDING = 0;
const VALUE = 1;
const ERROR = 2;

/**
 * A value or an error delivered once (gevent's AsyncResult, a Future). get() blocks
 * a fiber until it is ready; `await result` works on the hub. set()/setException()
 * work from anywhere; calling them again replaces the outcome for later readers.
 */
export class AsyncResult<T = unknown> extends Linkable implements PromiseLike<T> {
  private state = PENDING;
  private result: unknown = undefined;
  private readonly waiters = new WaitList<void>();
  private promise: Promise<T> | undefined;
  private settlePromise: (() => void) | undefined;

  get ready(): boolean {
    return this.state !== PENDING;
  }

  get successful(): boolean {
    return this.state === VALUE;
  }

  /** The value once set, else undefined. */
  get value(): T | undefined {
    return this.state === VALUE ? (this.result as T) : undefined;
  }

  /** The error once setException() was called, else undefined. */
  get error(): unknown {
    return this.state === ERROR ? this.result : undefined;
  }

  set(value: T): void {
    this.settle(VALUE, value);
  }

  setException(err: unknown): void {
    this.settle(ERROR, err);
  }

  /** Blocks until ready; returns the value or throws the error (TimeoutError on timeout). */
  get(options?: WaitArg): T {
    const opts = parseWait(options);
    if (this.state === PENDING) {
      if (isPoll(opts)) throw new TimeoutError(0);
      parkInList(this.waiters, undefined, 'AsyncResult.get()', opts, () => {
        throw new TimeoutError(opts!.timeout!);
      });
    }
    return this.outcome();
  }

  /** The value, the error thrown, or TimeoutError if not ready yet; never blocks. */
  getNowait(): T {
    if (this.state === PENDING) throw new TimeoutError(0);
    return this.outcome();
  }

  /** Blocks until ready without throwing its error; false if the timeout expired first. */
  wait(options?: WaitArg): boolean {
    const opts = parseWait(options);
    if (this.state !== PENDING) return true;
    if (isPoll(opts)) return false;
    parkInList(this.waiters, undefined, 'AsyncResult.wait()', opts, FALSE);
    return this.state !== PENDING;
  }

  /** The promise twin of get(). */
  async getAsync(options?: WaitArg): Promise<T> {
    const opts = parseWait(options);
    if (this.state === PENDING) {
      if (isPoll(opts)) throw new TimeoutError(0);
      await parkInListAsync(this.waiters, undefined, opts);
    }
    return this.outcome();
  }

  /** The promise twin of wait(). */
  async waitAsync(options?: WaitArg): Promise<boolean> {
    const opts = parseWait(options);
    if (this.state !== PENDING) return true;
    if (isPoll(opts)) return false;
    await parkInListAsync(this.waiters, undefined, opts, () => undefined);
    return this.state !== PENDING;
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (this.promise === undefined) {
      this.promise = new Promise<T>((resolve, reject) => {
        this.settlePromise = () => (this.state === ERROR ? reject(this.result) : resolve(this.result as T));
      });
      if (this.state !== PENDING) this.settlePromise!();
    }
    return this.promise.then(onfulfilled, onrejected);
  }

  private outcome(): T {
    if (this.state === ERROR) throw this.result;
    return this.result as T;
  }

  private settle(state: number, result: unknown): void {
    const first = this.state === PENDING;
    this.state = state;
    this.result = result;
    if (!first) return;
    this.waiters.wakeAll(undefined);
    this.settlePromise?.();
    this.notifyLinks();
  }
}
