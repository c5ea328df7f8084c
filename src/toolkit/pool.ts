// pool.ts: Group (fibers joined and killed together) and Pool (a Group of bounded size): spawn, join, kill, apply, map, imap.
import {
  BlockingInHubError,
  FiberExit,
  InvalidArgTypeError,
  InvalidArgValueError,
  TimeoutError,
  validateFunction,
  validateOptions,
} from '../core/errors.js';
import { Fiber, killAll, type KillOptions } from '../core/fiber.js';
import { hub } from '../core/hub.js';
import { Waiter, type BlockOptions } from '../core/waiter.js';
import { AsyncWaiter } from './async-waiter.js';
import { parkInList, parkInListAsync } from './park-in-list.js';
import { WaitList, type Parked } from './wait-list.js';
import { isPoll, parseWait, type WaitArg } from './wait-options.js';
import { Semaphore } from './semaphore.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFiber = Fiber<any>;

export interface GroupJoinOptions extends BlockOptions {
  /** Throw the error of the first member that dies with one while joining. */
  raiseError?: boolean;
}

export interface ImapOptions {
  /**
   * Most tasks running or finished-but-not-consumed at once (the look-ahead of
   * the lazy iterator). Default: twice the pool size; 1024 for a Group.
   */
  maxsize?: number;
}

const NO_ERROR: unique symbol = Symbol('no error');
const NONE: unique symbol = Symbol('none');
const NOOP = (): void => {};
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

function checkIterable(name: string, value: unknown): void {
  if (value === null || value === undefined || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new InvalidArgTypeError(name, 'iterable', value);
  }
}

function checkArgs(args: unknown): unknown[] {
  if (args === undefined) return [];
  if (!Array.isArray(args)) throw new InvalidArgTypeError('args', 'an instance of Array', args);
  return args;
}

/**
 * A set of fibers managed together (gevent.pool.Group). spawn() adds the new
 * fiber; a member leaves the group when it dies (a spawned one as its function
 * exits; an added one on the next hub turn). Membership does not count as
 * observing a fiber's error: a member that fails and is never joined, got or
 * awaited is reported like any other fiber (an unhandled rejection).
 */
export class Group implements Iterable<AnyFiber> {
  /** @internal */ protected readonly members = new Set<AnyFiber>();
  private readonly joiners = new WaitList<true>();
  private readonly raisingJoiners = new WaitList<true>();
  // Members added from outside, and spawned ones killed before they ran, leave here
  // (on the hub, soon after they die); spawned ones leave as their function exits.
  private readonly onDeath = (f: AnyFiber): void => {
    if (!this.members.has(f)) return;
    if (!f.successful && this.raisingJoiners.waiting) this.raise(f, f.error);
    this.discard(f);
  };

  constructor(fibers?: Iterable<AnyFiber>) {
    if (fibers !== undefined) {
      checkIterable('fibers', fibers);
      for (const f of fibers) this.add(f);
    }
  }

  /** Most members at once (Infinity for a Group). */
  get size(): number {
    return Infinity;
  }

  /** Members now (dead fibers leave on the next hub turn). */
  get count(): number {
    return this.members.size;
  }

  has(fiber: AnyFiber): boolean {
    return this.members.has(fiber);
  }

  /** A snapshot of the members. */
  [Symbol.iterator](): Iterator<AnyFiber> {
    return [...this.members][Symbol.iterator]();
  }

  /** How many more fibers may be spawned without blocking. */
  freeCount(): number {
    return Infinity;
  }

  /** True when spawn() would block. */
  full(): boolean {
    return this.freeCount() <= 0;
  }

  /**
   * Starts fn(...args) in a new member fiber. A Pool blocks the calling fiber while
   * it is full (on the hub that throws BlockingInHubError: use applyAsync, or
   * waitAvailableAsync first).
   */
  spawn<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Fiber<R> {
    validateFunction('fn', fn);
    this._acquireSlot(undefined, `${this.constructor.name}.spawn()`);
    return this._start(fn, args);
  }

  /** Adds a fiber (a Pool blocks while full; TimeoutError if options.timeout expires first). */
  add(fiber: AnyFiber, options?: WaitArg): void {
    if (!(fiber instanceof Fiber)) throw new InvalidArgTypeError('fiber', 'an instance of Fiber', fiber);
    const opts = parseWait(options);
    if (this.members.has(fiber)) return;
    this._acquireSlot(opts, `${this.constructor.name}.add()`);
    this.adopt(fiber);
  }

  /** Removes a fiber without killing it (its slot in a Pool is freed). */
  discard(fiber: AnyFiber): void {
    if (!this.members.delete(fiber)) return;
    fiber.unlink(this.onDeath);
    this._releaseSlot();
    if (this.members.size === 0) {
      this.joiners.wakeAll(true);
      this.raisingJoiners.wakeAll(true);
    }
  }

  /**
   * Blocks until the group is empty; false if the timeout expired first. With
   * raiseError, throws the error of the first member that dies with one meanwhile.
   */
  join(options?: number | GroupJoinOptions): boolean {
    const [opts, raise] = this.joinOptions(options);
    if (this.members.size === 0) return true;
    if (isPoll(opts)) return false;
    return parkInList(raise ? this.raisingJoiners : this.joiners, undefined, `${this.constructor.name}.join()`, opts, () => false);
  }

  /** The promise twin of join(). */
  async joinAsync(options?: number | GroupJoinOptions): Promise<boolean> {
    const [opts, raise] = this.joinOptions(options);
    if (this.members.size === 0) return true;
    if (isPoll(opts)) return false;
    return parkInListAsync(raise ? this.raisingJoiners : this.joiners, undefined, opts, () => false);
  }

  /**
   * Kills every member (see Fiber.kill); in a fiber it waits until they are dead
   * unless block: false. A member calling it kills the others, not itself.
   */
  kill(reason: unknown = new FiberExit(), options?: KillOptions): void {
    const me = hub.current;
    killAll(
      [...this.members].filter((f) => f !== me),
      reason,
      options,
    );
  }

  /** Kills one member. */
  killOne(fiber: AnyFiber, reason: unknown = new FiberExit(), options?: KillOptions): void {
    if (!(fiber instanceof Fiber)) throw new InvalidArgTypeError('fiber', 'an instance of Fiber', fiber);
    fiber.kill(reason, options);
  }

  /** Blocks until a slot is free; returns freeCount() (0 if the timeout expired first). */
  waitAvailable(options?: WaitArg): number {
    parseWait(options);
    return Infinity;
  }

  /** The promise twin of waitAvailable(). */
  async waitAvailableAsync(options?: WaitArg): Promise<number> {
    parseWait(options);
    return Infinity;
  }

  /**
   * Runs fn(...args) in a member fiber and returns its result (throws its error).
   * Called from a member of this group, it runs fn directly (no deadlock on a full Pool).
   */
  apply<A extends unknown[], R>(fn: (...args: A) => R, args?: A): R {
    validateFunction('fn', fn);
    const list = checkArgs(args) as A;
    const me = hub.current;
    if (me === null) throw new BlockingInHubError(`${this.constructor.name}.apply()`);
    if (this.members.has(me as AnyFiber)) return fn(...list);
    return this.spawn(fn, ...list).get();
  }

  /** The promise twin of apply(): waits for a slot, runs fn in a member fiber, resolves with its result. */
  async applyAsync<A extends unknown[], R>(fn: (...args: A) => R, args?: A): Promise<R> {
    validateFunction('fn', fn);
    const list = checkArgs(args) as A;
    await this._acquireSlotAsync();
    const f = this._start(fn, list);
    return (await f) as R;
  }

  /** fn(item) for every item, in member fibers; the results in input order. See imap for errors. */
  map<A, R>(fn: (item: A) => R, iterable: Iterable<A>): R[] {
    if (hub.current === null) throw new BlockingInHubError(`${this.constructor.name}.map()`);
    const run = this.run(fn, iterable, true, Infinity, 'map');
    const out: R[] = [];
    for (let r = run.next(); !r.done; r = run.next()) out.push(r.value);
    return out;
  }

  /** The promise twin of map(). */
  async mapAsync<A, R>(fn: (item: A) => R, iterable: Iterable<A>): Promise<R[]> {
    const run = this.run(fn, iterable, true, Infinity, 'mapAsync');
    const out: R[] = [];
    for (let r = await run.nextAsync(); !r.done; r = await run.nextAsync()) out.push(r.value);
    return out;
  }

  /**
   * A lazy iterator (for a fiber) of fn(item) over iterable, in input order. Input is
   * pulled and tasks started only as the consumer iterates, at most
   * options.maxsize ahead. The first task that fails (in completion order) ends
   * the iteration: no more tasks start, the ones still running are killed at once,
   * results that completed before the failure are still yielded (imap: up to the
   * first missing one), then the consumer waits until the killed tasks are dead and
   * gets the error. Leaving the loop early (break, an exception, the consumer being
   * killed) kills the running tasks the same way.
   */
  imap<A, R>(fn: (item: A) => R, iterable: Iterable<A>, options?: ImapOptions): IterableIterator<R> {
    return this.run(fn, iterable, true, this.windowOption(options), 'imap').syncIterator();
  }

  /** Like imap, yielding results in completion order. */
  imapUnordered<A, R>(fn: (item: A) => R, iterable: Iterable<A>, options?: ImapOptions): IterableIterator<R> {
    return this.run(fn, iterable, false, this.windowOption(options), 'imapUnordered').syncIterator();
  }

  /** The async twin of imap: `for await (const r of pool.imapAsync(fn, items))` on the hub. */
  imapAsync<A, R>(fn: (item: A) => R, iterable: Iterable<A>, options?: ImapOptions): AsyncIterableIterator<R> {
    return this.run(fn, iterable, true, this.windowOption(options), 'imapAsync').asyncIterator();
  }

  /** The async twin of imapUnordered. */
  imapUnorderedAsync<A, R>(fn: (item: A) => R, iterable: Iterable<A>, options?: ImapOptions): AsyncIterableIterator<R> {
    return this.run(fn, iterable, false, this.windowOption(options), 'imapUnorderedAsync').asyncIterator();
  }

  /** @internal Blocks for a slot (Pool); Group has no limit. */
  protected _acquireSlot(opts: BlockOptions | undefined, what: string): void {
    void opts;
    void what;
  }

  /** @internal The promise twin of _acquireSlot. */
  protected async _acquireSlotAsync(): Promise<void> {}

  /** @internal Takes a slot if one is free now. */
  _trySlot(): boolean {
    return true;
  }

  /** @internal Queues claim in the slot FIFO; it is switched when a slot is its. */
  _claimSlot(claim: Parked<true>): { detach(): void } | null {
    void claim;
    return null;
  }

  /** @internal Gives a slot back. */
  _releaseSlot(): void {}

  /** @internal The look-ahead imap uses by default. */
  protected _defaultWindow(): number {
    return 1024;
  }

  /** @internal Starts fn(...args) as a member; the caller holds a slot for it. */
  _start<A extends unknown[], R>(fn: (...args: A) => R, args: A): Fiber<R> {
    // The slot is freed as fn exits, inside the fiber, so whoever waited on the
    // fiber (await, get, join) finds it free already.
    let f: Fiber<R> | undefined;
    const task = (...a: A): R => {
      try {
        return fn(...a);
      } catch (err) {
        if (!(err instanceof FiberExit) && this.raisingJoiners.waiting) this.raise(f!, err);
        throw err;
      } finally {
        this.discard(f!);
      }
    };
    try {
      f = new Fiber<R>(task as (...a: unknown[]) => R, { args }).start();
    } catch (err) {
      this._releaseSlot();
      throw err;
    }
    this.adopt(f);
    return f;
  }

  private adopt(f: AnyFiber): void {
    this.members.add(f);
    f._watch(this.onDeath);
  }

  // join({ raiseError }) callers get err; that counts as observing the fiber's failure.
  private raise(f: AnyFiber, err: unknown): void {
    f.link(NOOP);
    this.raisingJoiners.throwAll(() => err);
  }

  private run<A, R>(fn: (item: A) => R, iterable: Iterable<A>, ordered: boolean, window: number, what: string): TaskRun<A, R> {
    validateFunction('fn', fn);
    checkIterable('iterable', iterable);
    return new TaskRun(this, fn, iterable, ordered, window, `${this.constructor.name}.${what}()`);
  }

  private windowOption(options: unknown): number {
    const opts = validateOptions('options', options);
    const m = opts.maxsize;
    if (m === undefined) return this._defaultWindow();
    if (typeof m !== 'number') throw new InvalidArgTypeError('options.maxsize', 'of type number', m);
    if (m !== Infinity && (!Number.isInteger(m) || m < 1)) {
      throw new InvalidArgValueError('options.maxsize', 'must be a positive integer or Infinity', m);
    }
    return m;
  }

  private joinOptions(options: unknown): [BlockOptions | undefined, boolean] {
    if (options === undefined || typeof options === 'number') return [parseWait(options), false];
    const opts = validateOptions('options', options);
    if (opts.raiseError !== undefined && typeof opts.raiseError !== 'boolean') {
      throw new InvalidArgTypeError('options.raiseError', 'of type boolean', opts.raiseError);
    }
    return [parseWait({ timeout: opts.timeout, signal: opts.signal }), opts.raiseError === true];
  }
}

/**
 * A Group of at most `size` fibers (gevent.pool.Pool). spawn()/add() wait for a free
 * slot, FIFO with every other waiter, fibers and promises alike; a slot is freed
 * when its fiber dies (on the next hub turn) or is discarded.
 */
export class Pool extends Group {
  private readonly slots: Semaphore;
  private readonly limit: number;

  constructor(size: number) {
    if (typeof size !== 'number') throw new InvalidArgTypeError('size', 'of type number', size);
    if (!Number.isInteger(size) || size < 1) throw new InvalidArgValueError('size', 'must be a positive integer', size);
    super();
    this.limit = size;
    this.slots = new Semaphore(size);
  }

  override get size(): number {
    return this.limit;
  }

  override freeCount(): number {
    return this.slots.counter;
  }

  override waitAvailable(options?: WaitArg): number {
    return this.slots.wait(options);
  }

  override waitAvailableAsync(options?: WaitArg): Promise<number> {
    return this.slots.waitAsync(options);
  }

  protected override _acquireSlot(opts: BlockOptions | undefined, what: string): void {
    if (this.slots.tryAcquire()) return;
    if (isPoll(opts)) throw new TimeoutError(0);
    if (hub.current === null) throw new BlockingInHubError(what);
    if (!this.slots.acquire(opts)) throw new TimeoutError(opts!.timeout!);
  }

  protected override async _acquireSlotAsync(): Promise<void> {
    await this.slots.acquireAsync();
  }

  override _trySlot(): boolean {
    return this.slots.tryAcquire();
  }

  override _claimSlot(claim: Parked<true>): { detach(): void } {
    return this.slots._enqueue(claim);
  }

  override _releaseSlot(): void {
    this.slots.release();
  }

  protected override _defaultWindow(): number {
    return 2 * this.limit;
  }
}

// A place in the Pool's slot FIFO held for a TaskRun (not for any one fiber), so a
// map/imap keeps its turn among other spawners without a fiber parked for it.
class SlotClaim implements Parked<true> {
  settled = false;
  node: { detach(): void } | null = null;

  constructor(private readonly onGrant: () => void) {}

  switch(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.onGrant();
    return true;
  }

  throw(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  cancel(): void {
    this.settled = true;
    this.node?.detach();
  }
}

// The engine of map/imap: pulls input, starts tasks as slots and the look-ahead
// allow, collects results, and on the first failure or early exit kills the rest.
class TaskRun<A, R> {
  private readonly input: Iterator<A>;
  private inputDone = false;
  private nextIn = 0;
  private nextOut = 0;
  private readonly inflight = new Set<Fiber<R>>();
  private readonly byIndex = new Map<number, R>();
  private unordered: R[] = [];
  private unorderedHead = 0;
  private error: unknown = NO_ERROR;
  private reserved = 0;
  private claim: SlotClaim | null = null;
  private consumer: Parked<void> | null = null;
  private closed = false;

  constructor(
    private readonly group: Group,
    private readonly fn: (item: A) => R,
    iterable: Iterable<A>,
    private readonly ordered: boolean,
    private readonly window: number,
    private readonly what: string,
  ) {
    this.input = iterable[Symbol.iterator]();
  }

  syncIterator(): IterableIterator<R> {
    const it: IterableIterator<R> = {
      next: () => this.next(),
      return: () => {
        this.closeSync();
        return DONE;
      },
      [Symbol.iterator]: () => it,
    };
    return it;
  }

  asyncIterator(): AsyncIterableIterator<R> {
    const it: AsyncIterableIterator<R> = {
      next: () => this.nextAsync(),
      return: async () => {
        await this.closeAsync();
        return DONE;
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** The fiber consumer's next(). */
  next(): IteratorResult<R> {
    for (;;) {
      const r = this.step();
      if (r !== NONE) {
        if (r === NO_ERROR) {
          const err = this.error;
          this.closeSync();
          throw err;
        }
        return r;
      }
      const w = new Waiter<void>(this.what);
      this.consumer = w;
      try {
        w.get(undefined, this.what);
      } catch (err) {
        this.consumer = null;
        this.closeSync();
        throw err;
      }
    }
  }

  /** The async consumer's next(). */
  async nextAsync(): Promise<IteratorResult<R>> {
    for (;;) {
      const r = this.step();
      if (r !== NONE) {
        if (r === NO_ERROR) {
          const err = this.error;
          await this.closeAsync();
          throw err;
        }
        return r;
      }
      const a = new AsyncWaiter<void>();
      this.consumer = a;
      await a.promise;
    }
  }

  // One look: a result, the end, an error (NO_ERROR marks "this.error is set"), or NONE: wait.
  private step(): IteratorResult<R> | typeof NONE | typeof NO_ERROR {
    if (this.closed) return DONE;
    for (let pass = 0; pass < 2; pass++) {
      // Results that completed before a failure are still delivered, then the error.
      const value = this.take();
      if (value !== NONE) {
        this.fill();
        return { done: false, value };
      }
      if (this.error !== NO_ERROR) return NO_ERROR;
      if (this.inputDone && this.inflight.size === 0) {
        this.closeQuietly();
        return DONE;
      }
      if (pass === 0) this.fill();
    }
    return NONE;
  }

  private take(): R | typeof NONE {
    if (this.ordered) {
      if (!this.byIndex.has(this.nextOut)) return NONE;
      const value = this.byIndex.get(this.nextOut)!;
      this.byIndex.delete(this.nextOut++);
      return value;
    }
    if (this.unorderedHead === this.unordered.length) return NONE;
    const value = this.unordered[this.unorderedHead];
    this.unordered[this.unorderedHead++] = undefined as R;
    if (this.unorderedHead === this.unordered.length) {
      this.unordered = [];
      this.unorderedHead = 0;
    }
    return value;
  }

  private get buffered(): number {
    return this.ordered ? this.byIndex.size : this.unordered.length - this.unorderedHead;
  }

  // Starts tasks while the input, the look-ahead and free slots allow. Only pulling
  // the input may block (a generator that blocks is fine in a fiber).
  private fill(): void {
    while (!this.inputDone && !this.closed && this.error === NO_ERROR && this.inflight.size + this.buffered < this.window) {
      if (this.reserved > 0) this.reserved--;
      else if (!this.group._trySlot()) {
        this.queueClaim();
        return;
      }
      let r: IteratorResult<A>;
      try {
        r = this.input.next();
      } catch (err) {
        this.group._releaseSlot();
        this.fail(err);
        return;
      }
      if (r.done) {
        this.inputDone = true;
        this.group._releaseSlot();
        return;
      }
      const index = this.nextIn++;
      let f: Fiber<R>;
      try {
        f = this.group._start(this.fn, [r.value]);
      } catch (err) {
        this.fail(err);
        return;
      }
      this.inflight.add(f);
      f.link((done) => this.settle(index, done));
    }
  }

  private queueClaim(): void {
    if (this.claim !== null) return;
    const claim = new SlotClaim(() => {
      this.claim = null;
      if (this.closed) this.group._releaseSlot();
      else {
        this.reserved++;
        this.wake();
      }
    });
    this.claim = claim;
    claim.node = this.group._claimSlot(claim);
  }

  private settle(index: number, f: Fiber<R>): void {
    this.inflight.delete(f);
    if (this.closed || this.error !== NO_ERROR) return; // after a failure, results are dropped
    if (!f.successful) this.fail(f.error);
    else if (f.value instanceof FiberExit) this.fail(f.value); // killed from outside: no result
    else {
      if (this.ordered) this.byIndex.set(index, f.value as R);
      else this.unordered.push(f.value as R);
      this.wake();
    }
  }

  // The first failure: no more tasks start and the running ones are killed now (the
  // consumer waits for their deaths before it throws).
  private fail(err: unknown): void {
    if (this.error !== NO_ERROR) return;
    this.error = err;
    this.claim?.cancel();
    this.claim = null;
    if (this.inflight.size > 0) killAll([...this.inflight], new FiberExit(), { block: false });
    this.wake();
  }

  private wake(): void {
    const c = this.consumer;
    if (c === null) return;
    this.consumer = null;
    c.switch(undefined);
  }

  // Stops starting tasks and gives back slots held for them; returns the tasks still running.
  private closeQuietly(): Array<Fiber<R>> {
    this.closed = true;
    this.wake(); // an async next() still waiting sees the end
    this.claim?.cancel();
    this.claim = null;
    for (; this.reserved > 0; this.reserved--) this.group._releaseSlot();
    this.byIndex.clear();
    this.unordered = [];
    return [...this.inflight];
  }

  private closeSync(): void {
    const running = this.closeQuietly();
    if (running.length === 0) return;
    if (hub.current === null) killAll(running, new FiberExit(), { block: false });
    else killAll(running, new FiberExit(), { block: true });
  }

  private async closeAsync(): Promise<void> {
    const running = this.closeQuietly();
    if (running.length === 0) return;
    killAll(running, new FiberExit(), { block: false });
    await Promise.allSettled(running);
  }
}
