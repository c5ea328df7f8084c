// wait-list.ts: the FIFO of parked waiters (fibers and promises) every toolkit primitive wakes in order.
import { type Switchable } from '../core/hub.js';
import { Waiter } from '../core/waiter.js';

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
