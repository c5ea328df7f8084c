// lock.ts: Lock and RLock: a Semaphore(1) with an owner (the fiber, or the hub for async callers) that alone may release it.
import { LockNotOwnedError } from '../core/errors.js';
import { hub } from '../core/hub.js';
import type { Owner } from './wait-list.js';
import { Semaphore } from './semaphore.js';

const FREE: unique symbol = Symbol('free');

function describeOwner(owner: Owner): string {
  return owner === null ? 'the hub' : String(owner);
}

/**
 * What Lock and RLock share: ownership. A lock taken in a fiber is owned by that
 * fiber; one taken by acquireAsync() (or on the hub) is owned by the hub, and any
 * async code may release it. A fiber that dies holding a lock does not release it.
 */
export abstract class OwnedLock extends Semaphore {
  /** @internal */ protected _owner: Owner | typeof FREE = FREE;

  constructor() {
    super(1);
  }

  /** True while held. */
  override locked(): boolean {
    return this._owner !== FREE;
  }

  /** The holder: a Fiber, null for the hub, undefined when free. */
  get owner(): Owner | undefined {
    return this._owner === FREE ? undefined : this._owner;
  }

  /** True when the caller (the current fiber, or the hub) holds the lock. */
  isOwned(): boolean {
    return this._owner === hub.current;
  }

  protected override _granted(owner: Owner): void {
    this._owner = owner;
  }

  protected override _released(): void {
    this._owner = FREE;
  }

  protected override _checkRelease(): void {
    if (this._owner === FREE) throw new LockNotOwnedError(`cannot release an unlocked ${this.constructor.name}`);
    if (this._owner !== hub.current) {
      throw new LockNotOwnedError(
        `${describeOwner(hub.current)} cannot release a ${this.constructor.name} held by ${describeOwner(this._owner)}`,
      );
    }
  }

  /** @internal Condition: is it held by owner? */
  _ownedBy(owner: Owner): boolean {
    return this._owner === owner;
  }

  /** @internal Condition.wait(): releases completely, returns the recursion depth to restore. */
  _releaseAll(): number {
    this._free();
    return 1;
  }

  /** @internal Condition.wait(): after re-acquiring, restores the depth _releaseAll() returned. */
  _restore(depth: number): void {
    void depth;
  }
}

/** A mutual-exclusion lock: not reentrant; only its owner may release it. */
export class Lock extends OwnedLock {}

/**
 * A reentrant lock: its owning fiber may acquire it again and must release it as
 * many times. On the hub it is not reentrant: every async caller is "the hub", so
 * reentrancy there would let unrelated async tasks in together.
 */
export class RLock extends OwnedLock {
  private depth = 0;

  /** How many times the owner holds it. */
  get count(): number {
    return this.depth;
  }

  override release(): void {
    this._checkRelease();
    if (--this.depth > 0) return;
    this._free();
  }

  protected override _take(owner: Owner): boolean {
    if (owner !== null && this._owner === owner) {
      this.depth++;
      return true;
    }
    return super._take(owner);
  }

  protected override _granted(owner: Owner): void {
    super._granted(owner);
    this.depth = 1;
  }

  protected override _released(): void {
    super._released();
    this.depth = 0;
  }

  override _releaseAll(): number {
    const depth = this.depth;
    this.depth = 0;
    this._free();
    return depth;
  }

  override _restore(depth: number): void {
    this.depth = depth;
  }
}
