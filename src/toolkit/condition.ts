// condition.ts: Condition: wait for a notification while releasing a Lock/RLock, re-acquiring it on every way out.
import {
  AsyncScopeError,
  BlockingInHubError,
  InvalidArgTypeError,
  InvalidArgValueError,
  LockNotOwnedError,
  validateFunction,
} from '../core/errors.js';
import { hub } from '../core/hub.js';
import { Waiter } from '../core/waiter.js';
import { parkInListAsync } from './park-in-list.js';
import { WaitList, type Owner } from './wait-list.js';
import { isPoll, parseWait, type WaitArg } from './wait-options.js';
import { OwnedLock, RLock } from './lock.js';
import type { LockHandle } from './semaphore.js';

const NONE: unique symbol = Symbol('none');

/**
 * A condition variable over a Lock or RLock (default: a new RLock). wait() releases
 * the lock, parks until notify(), and re-acquires the lock before returning or
 * throwing, even when killed or timed out. Waiters are notified FIFO; a waiter that
 * is killed just after being notified passes the notification on.
 */
export class Condition {
  readonly lock: OwnedLock;
  private readonly waiters = new WaitList<true, Owner>();

  constructor(lock?: OwnedLock) {
    if (lock !== undefined && !(lock instanceof OwnedLock)) {
      throw new InvalidArgTypeError('lock', 'an instance of Lock or RLock', lock);
    }
    this.lock = lock ?? new RLock();
  }

  acquire(options?: WaitArg): boolean {
    return this.lock.acquire(options);
  }

  tryAcquire(): boolean {
    return this.lock.tryAcquire();
  }

  acquireAsync(options?: WaitArg): Promise<boolean> {
    return this.lock.acquireAsync(options);
  }

  release(): void {
    this.lock.release();
  }

  withLock<R>(fn: () => R, options?: WaitArg): R {
    return this.lock.withLock(fn, options);
  }

  withLockAsync<R>(fn: () => R | PromiseLike<R>, options?: WaitArg): Promise<Awaited<R>> {
    return this.lock.withLockAsync(fn, options);
  }

  hold(options?: WaitArg): LockHandle {
    return this.lock.hold(options);
  }

  holdAsync(options?: WaitArg): Promise<LockHandle> {
    return this.lock.holdAsync(options);
  }

  /**
   * Releases the lock (which the fiber must hold), blocks until notified, then
   * re-acquires it. Returns false if the timeout expired first (`timeout: 0` does
   * not release or wait). If the fiber is killed or aborted, the lock is still
   * re-acquired before the error propagates.
   */
  wait(options?: WaitArg): boolean {
    const opts = parseWait(options);
    const me = hub.current;
    if (me === null) throw new BlockingInHubError('Condition.wait()');
    this.checkOwned(me, 'wait');
    if (isPoll(opts)) return false;
    const w = new Waiter<true>('Condition.wait()');
    const node = this.waiters.push(w, me);
    const depth = this.lock._releaseAll();
    let notified = false;
    let error: unknown = NONE;
    try {
      w.get(opts, 'Condition.wait()');
      notified = true;
    } catch (err) {
      if (w.delivered) this.wakeWaiters(1);
      if (!w.timedOut) error = err;
    } finally {
      this.waiters.remove(node);
    }
    error = this.reacquire(depth, error);
    if (error !== NONE) throw error;
    return notified;
  }

  /** The promise twin of wait(), for async code holding the lock (acquireAsync/withLockAsync). */
  async waitAsync(options?: WaitArg): Promise<boolean> {
    const opts = parseWait(options);
    this.checkOwned(null, 'waitAsync');
    if (isPoll(opts)) return false;
    const notice = parkInListAsync(this.waiters, null, opts, () => false);
    const depth = this.lock._releaseAll();
    let notified = false;
    let error: unknown = NONE;
    try {
      notified = await notice;
    } catch (err) {
      error = err;
    }
    await this.lock.acquireAsync();
    this.lock._restore(depth);
    if (error !== NONE) throw error;
    return notified;
  }

  /** Waits until predicate() is true (checked with the lock held); returns its last result. */
  waitFor(predicate: () => boolean, options?: WaitArg): boolean {
    validateFunction('predicate', predicate);
    const opts = parseWait(options);
    const deadline = opts?.timeout === undefined ? Infinity : Date.now() + opts.timeout;
    let result = predicate();
    while (!result) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      this.wait({ timeout: left === Infinity ? undefined : left, signal: opts?.signal });
      result = predicate();
    }
    return result;
  }

  /** The promise twin of waitFor(). */
  async waitForAsync(predicate: () => boolean, options?: WaitArg): Promise<boolean> {
    validateFunction('predicate', predicate);
    const opts = parseWait(options);
    const deadline = opts?.timeout === undefined ? Infinity : Date.now() + opts.timeout;
    let result = predicate();
    while (!result) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.waitAsync({ timeout: left === Infinity ? undefined : left, signal: opts?.signal });
      result = predicate();
    }
    return result;
  }

  /** Wakes up to n waiters, longest waiting first. The caller must hold the lock. */
  notify(n = 1): void {
    if (typeof n !== 'number') throw new InvalidArgTypeError('n', 'of type number', n);
    if (!(n >= 0)) throw new InvalidArgValueError('n', 'must be a non-negative number', n);
    this.checkOwned(hub.current, 'notify');
    this.wakeWaiters(n);
  }

  /** Wakes every waiter. The caller must hold the lock. */
  notifyAll(): void {
    this.notify(Infinity);
  }

  private wakeWaiters(n: number): void {
    for (let i = 0; i < n; i++) if (this.waiters.wake(true) === undefined) break;
  }

  private checkOwned(owner: Owner, what: string): void {
    if (!this.lock._ownedBy(owner)) {
      throw new LockNotOwnedError(`Condition.${what}() requires holding the condition's lock`);
    }
  }

  // Takes the lock back whatever interrupts it (a kill or Timeout only delays the
  // error: it is thrown once the lock is held again), keeping the first error.
  private reacquire(depth: number, error: unknown): unknown {
    for (;;) {
      try {
        this.lock.acquire();
        this.lock._restore(depth);
        return error;
      } catch (err) {
        if (error === NONE) error = err;
        if (err instanceof AsyncScopeError) return error;
      }
    }
  }
}
