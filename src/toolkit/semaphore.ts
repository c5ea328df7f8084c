// semaphore.ts: Semaphore and BoundedSemaphore (permits handed FIFO to fibers and promises alike) and the withLock/hold helpers locks share.
import {
  InvalidArgTypeError,
  InvalidArgValueError,
  SemaphoreOverReleaseError,
  TimeoutError,
  validateFunction,
} from '../core/errors.js';
import { hub } from '../core/hub.js';
import type { BlockOptions } from '../core/waiter.js';
import { parkInList, parkInListAsync } from './park-in-list.js';
import { WaitList, type Owner, type Parked, type WaitNode } from './wait-list.js';
import { isPoll, parseWait, type WaitArg } from './wait-options.js';

/** What hold()/holdAsync() return: releases once, by release() or `using`. */
export interface LockHandle extends Disposable {
  release(): void;
}

const FALSE = () => false;

/**
 * A counting semaphore. release() hands the permit straight to the longest waiting
 * acquirer (fiber or promise), so waiters are served strictly FIFO and a late
 * acquirer can never barge ahead. While anyone waits the counter stays 0.
 * release() works from anywhere: other fibers, hub callbacks, promise reactions.
 */
export class Semaphore {
  /** @internal */ protected _counter: number;
  /** @internal acquirers, fibers and promises in one FIFO; data is the owner they act for */
  protected readonly _waiters = new WaitList<true, Owner>();
  private readonly watchers = new WaitList<number>();

  constructor(value = 1) {
    if (typeof value !== 'number') throw new InvalidArgTypeError('value', 'of type number', value);
    if (!Number.isInteger(value) || value < 0) {
      throw new InvalidArgValueError('value', 'must be a non-negative integer', value);
    }
    this._counter = value;
  }

  /** Permits available now. */
  get counter(): number {
    return this._counter;
  }

  /** True when acquire() would have to wait. */
  locked(): boolean {
    return this._counter <= 0;
  }

  /** Takes a permit if one is free now; never blocks, works anywhere. */
  tryAcquire(): boolean {
    return this._take(hub.current);
  }

  /**
   * Takes a permit, blocking the fiber while none is free. Returns false if the
   * timeout expires first (`timeout: 0` only polls); an abort throws signal.reason.
   */
  acquire(options?: WaitArg): boolean {
    const opts = parseWait(options);
    const owner = hub.current;
    if (this._take(owner)) return true;
    if (isPoll(opts)) return false;
    return parkInList(this._waiters, owner, `${this.constructor.name}.acquire()`, opts, FALSE, () => this._free());
  }

  /** The promise twin of acquire(), usable on the hub; queues FIFO with the fibers. */
  async acquireAsync(options?: WaitArg): Promise<boolean> {
    const opts = parseWait(options);
    if (this._take(null)) return true;
    if (isPoll(opts)) return false;
    return parkInListAsync(this._waiters, null, opts, FALSE);
  }

  /** Gives a permit back: to the first waiter if any, else to the counter. */
  release(): void {
    this._checkRelease();
    this._free();
  }

  /**
   * Blocks until a permit is free without taking it; returns the counter (0 if the
   * timeout expired first). With waiters queued, permits go to them, not to this.
   */
  wait(options?: WaitArg): number {
    const opts = parseWait(options);
    if (this._counter > 0 || isPoll(opts)) return this._counter;
    return parkInList(this.watchers, undefined, `${this.constructor.name}.wait()`, opts, () => this._counter);
  }

  /** The promise twin of wait(). */
  async waitAsync(options?: WaitArg): Promise<number> {
    const opts = parseWait(options);
    if (this._counter > 0 || isPoll(opts)) return this._counter;
    return parkInListAsync(this.watchers, undefined, opts, () => this._counter);
  }

  /**
   * Runs fn() holding a permit and releases it however fn exits. fn must be
   * synchronous (in a fiber, blocking calls are). Throws TimeoutError if the
   * timeout expires before a permit is had.
   */
  withLock<R>(fn: () => R, options?: WaitArg): R {
    validateFunction('fn', fn);
    const opts = parseWait(options);
    if (!this.acquire(opts)) throw new TimeoutError(opts!.timeout!);
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  /** The promise twin of withLock(): fn may be async; the permit is released when it settles. */
  async withLockAsync<R>(fn: () => R | PromiseLike<R>, options?: WaitArg): Promise<Awaited<R>> {
    validateFunction('fn', fn);
    const opts = parseWait(options);
    if (!(await this.acquireAsync(opts))) throw new TimeoutError(opts!.timeout!);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /**
   * Acquires and returns a handle that releases exactly once:
   * `using h = sem.hold()` releases at the end of the block, whatever happens.
   */
  hold(options?: WaitArg): LockHandle {
    const opts = parseWait(options);
    if (!this.acquire(opts)) throw new TimeoutError(opts!.timeout!);
    return this.handle();
  }

  /** The promise twin of hold(): `using h = await lock.holdAsync()`. */
  async holdAsync(options?: WaitArg): Promise<LockHandle> {
    const opts = parseWait(options);
    if (!(await this.acquireAsync(opts))) throw new TimeoutError(opts!.timeout!);
    return this.handle();
  }

  private handle(): LockHandle {
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      this.release();
    };
    return { release, [Symbol.dispose]: release };
  }

  /** @internal Takes a permit for owner if that can be done now. */
  protected _take(owner: Owner): boolean {
    if (this._counter <= 0) return false;
    this._counter--;
    this._granted(owner);
    return true;
  }

  /** @internal A permit went to owner (Lock records it). */
  protected _granted(owner: Owner): void {
    void owner;
  }

  /** @internal The last permit came back to the counter (Lock clears its owner). */
  protected _released(): void {}

  /** @internal Throws if release() is not allowed now. */
  protected _checkRelease(): void {}

  /** @internal Hands one permit to the first live waiter, or back to the counter. */
  protected _free(): void {
    const node = this._waiters.first();
    if (node !== undefined) {
      this._waiters.remove(node);
      this._granted(node.data);
      node.given = true;
      node.parked.switch(true);
      return;
    }
    this._counter++;
    this._released();
    this.watchers.wakeAll(this._counter);
  }

  /** @internal Queues a custom claim (Pool.imap) in the acquirers' FIFO. */
  _enqueue(parked: Parked<true>): WaitNode<true, Owner> {
    return this._waiters.push(parked, null);
  }
}

/** A Semaphore that throws SemaphoreOverReleaseError when released above its initial value. */
export class BoundedSemaphore extends Semaphore {
  readonly bound: number;

  constructor(value = 1) {
    super(value);
    this.bound = value;
  }

  protected override _checkRelease(): void {
    if (this._counter >= this.bound) throw new SemaphoreOverReleaseError(this.bound);
  }
}

export type { BlockOptions };
