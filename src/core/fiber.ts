// fiber.ts: the Fiber (a green thread with its own native stack) and spawn/join/kill helpers.
import {
  FiberExit,
  GreenstackError,
  InvalidArgTypeError,
  InvalidArgValueError,
  InvalidSwitchError,
  TimeoutError,
  validateFunction,
  validateMs,
  validateOptions,
} from './errors.js';
import type { AsyncResource } from 'node:async_hooks';
import { hub, Switchable } from './hub.js';
import { addLink, removeLink, runLinks } from './links.js';
import { binding, sharedState } from './native.js';
import { ensureStarted } from './runtime.js';
import { endChannel, spawnChannel, startedFibers } from './trace.js';
import { LongTimer, Waiter, type BlockOptions } from './waiter.js';

export interface FiberOptions {
  /** Shown in errors and toString(). */
  name?: string;
  /** Native stack size in bytes for this fiber (default: configure({ stackSize })). */
  stackSize?: number;
}

export interface KillOptions {
  /** Wait until the fiber is dead. Default: true inside a fiber; the hub never blocks. */
  block?: boolean;
  /** With block: give up waiting after this many ms (the kill stays pending). */
  timeout?: number;
}

export type Link<T> = (fiber: Fiber<T>) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn<T> = (...args: any[]) => T;

const NEW = 0;
const SCHEDULED = 1;
const RUNNING = 2;
const DEAD = 3;

// Shared with every other copy of greenstack in this isolate (native.ts), like the hub.
const counts = sharedState('fibers', () => ({ nextId: 1, live: 0, spawns: 0 }));

/** @internal Fibers started since the process began (runtimeStats). */
export function spawnCount(): number {
  return counts.spawns;
}

/** Number of fibers started and not yet dead (for leak checks). */
export function liveFibers(): number {
  return counts.live;
}


/**
 * A green thread. Create with spawn(fn, ...args), or new Fiber(fn) then start().
 * It is thenable: `await fiber` gives its value or rejects with its error.
 */
export class Fiber<T = unknown> extends Switchable implements PromiseLike<T> {
  readonly id = counts.nextId++;
  name: string;
  /** Id of the fiber that started this one; 0 when it was started from the hub. */
  parentId = 0;

  private fn: (AnyFn<T>) | null;
  private args: unknown[];
  private readonly stackSize: number | undefined;
  private state = NEW;
  private result: unknown = undefined;
  private failed = false;
  private observed = false;
  // Allocated on first use: most fibers are never linked or joined twice.
  private links: Array<Link<T>> | null = null;
  private joiners: Array<Waiter<void>> | null = null;
  private promise: Promise<T> | undefined;
  private settlePromise: (() => void) | undefined;
  private unhandled: Promise<never> | undefined;
  private startTimer: LongTimer | undefined;

  constructor(fn: AnyFn<T>, options?: FiberOptions & { args?: unknown[] }, resource?: AsyncResource) {
    super(resource);
    validateFunction('fn', fn);
    const opts = validateOptions('options', options);
    if (opts.name !== undefined && typeof opts.name !== 'string') {
      throw new InvalidArgTypeError('options.name', 'of type string', opts.name);
    }
    if (opts.stackSize !== undefined) {
      if (typeof opts.stackSize !== 'number') {
        throw new InvalidArgTypeError('options.stackSize', 'of type number', opts.stackSize);
      }
      const { minStackSize, maxStackSize } = binding.limits;
      if (!Number.isInteger(opts.stackSize) || opts.stackSize < minStackSize || opts.stackSize > maxStackSize) {
        throw new InvalidArgValueError('options.stackSize', `must be an integer from ${minStackSize} to ${maxStackSize}`, opts.stackSize);
      }
    }
    if (opts.args !== undefined && !Array.isArray(opts.args)) {
      throw new InvalidArgTypeError('options.args', 'an instance of Array', opts.args);
    }
    this.fn = fn;
    this.args = (opts.args as unknown[] | undefined) ?? [];
    this.stackSize = opts.stackSize as number | undefined;
    this.name = (opts.name as string | undefined) ?? `Fiber-${this.id}`;
  }

  /** Schedules the fiber to run on a later hub turn. */
  start(): this {
    this.begin();
    hub.start(this);
    return this;
  }

  /**
   * @internal Hub only: starts the fiber and runs it at once, until it first blocks or
   * ends ("run-now": patch mode's continuations, a server's request), without queueing
   * a hub turn for it, so a fiber that ends at once leaves the loop no new work.
   */
  _runNow(): this {
    this.begin();
    hub.resumeNow(this);
    return this;
  }

  private begin(): void {
    if (this.state !== NEW || this.startTimer !== undefined) {
      throw new InvalidSwitchError(`${this} has already been started`);
    }
    ensureStarted();
    // Throws CarrierLimitError when no carrier can be had.
    this._handle = binding.newFiber(this.entry, this.stackSize);
    this.state = SCHEDULED;
    counts.live++;
    counts.spawns++;
    const parent = hub.current as Fiber | null;
    if (parent !== null) this.parentId = parent.id;
    startedFibers.add(this);
    if (spawnChannel.hasSubscribers) spawnChannel.publish({ fiber: this, parent });
  }

  /** Schedules the fiber to start after ms milliseconds. */
  startLater(ms: number): this {
    validateMs('ms', ms);
    if (this.state !== NEW || this.startTimer !== undefined) {
      throw new InvalidSwitchError(`${this} has already been started`);
    }
    this.startTimer = new LongTimer(ms, () => {
      this.startTimer = undefined;
      if (this.state === NEW) this.start();
    });
    return this;
  }

  /** start() or startLater() has been called. */
  get started(): boolean {
    return this.state !== NEW || this.startTimer !== undefined;
  }

  /** Finished: returned, threw, or was killed (before or after it started). */
  get dead(): boolean {
    return this.state === DEAD;
  }

  /** Same as dead: the result is available. */
  get ready(): boolean {
    return this.state === DEAD;
  }

  /** Dead without an error (a fiber ended by FiberExit counts as successful). */
  get successful(): boolean {
    return this.state === DEAD && !this.failed;
  }

  /** The return value once successful (the FiberExit instance if it was killed). */
  get value(): T | undefined {
    return this.state === DEAD && !this.failed ? (this.result as T) : undefined;
  }

  /** The error the fiber died with, if any. */
  get error(): unknown {
    if (this.state === DEAD && this.failed) {
      this.markObserved();
      return this.result;
    }
    return undefined;
  }

  /** Blocks the current fiber until this one is dead. Returns false on timeout. */
  join(timeout?: number): boolean {
    this.markObserved();
    if (this.state === DEAD) return true;
    if (hub.current === this) throw new InvalidSwitchError(`${this} cannot join itself`);
    const w = new Waiter<void>('Fiber.join()');
    (this.joiners ??= []).push(w);
    try {
      w.get(timeout === undefined ? undefined : { timeout }, 'Fiber.join()');
      return true;
    } catch (err) {
      if (w.timedOut) return false;
      throw err;
    } finally {
      this.dropJoiner(w);
    }
  }

  /** Blocks until dead, then returns the value or throws the error. */
  get(options?: BlockOptions): T {
    this.markObserved();
    if (this.state !== DEAD) {
      if (hub.current === this) throw new InvalidSwitchError(`${this} cannot wait for itself`);
      const w = new Waiter<void>('Fiber.get()');
      (this.joiners ??= []).push(w);
      try {
        w.get(options, 'Fiber.get()');
      } finally {
        this.dropJoiner(w);
      }
    }
    if (this.failed) throw this.result;
    return this.result as T;
  }

  /**
   * Throws reason (default: a new FiberExit) into the fiber where it is blocked; its
   * finally blocks run. A fiber that has not started yet dies without running.
   */
  kill(reason: unknown = new FiberExit(), options?: KillOptions): void {
    const opts = validateOptions('options', options);
    this.observed = true;
    if (this.state === DEAD) return;
    if (this.state === NEW) {
      this.startTimer?.clear();
      this.startTimer = undefined;
      this.finish(reason, reason instanceof FiberExit ? false : true);
      return;
    }
    if (this.state === SCHEDULED) {
      hub.unschedule(this);
      binding.discard(this._handle!);
      this._handle = null;
      counts.live--;
      this.finish(reason, !(reason instanceof FiberExit));
      return;
    }
    if (hub.current === this) throw reason;
    hub.throwInto(this, reason, true);
    const block = opts.block ?? hub.current !== null;
    if (block && hub.current !== null) {
      this.join(opts.timeout === undefined ? undefined : validateMs('options.timeout', opts.timeout));
    }
  }

  /** Calls cb(fiber) on the hub once the fiber is dead (at once, soon, if it already is). */
  link(cb: Link<T>): void {
    validateFunction('cb', cb);
    this.markObserved();
    this.links = addLink<Fiber<T>>(this.links, this, this.state === DEAD, cb);
  }

  /** Like link, only when the fiber ends successfully. */
  linkValue(cb: Link<T>): void {
    validateFunction('cb', cb);
    this.link((f) => f.successful && cb(f));
  }

  /** Like link, only when the fiber dies with an error. */
  linkError(cb: Link<T>): void {
    validateFunction('cb', cb);
    this.link((f) => !f.successful && cb(f));
  }

  /**
   * @internal Like link(), but not counted as observing the fiber's error: for
   * bookkeeping (Group/Pool membership) that must not hide an unhandled failure.
   */
  _watch(cb: Link<T>): void {
    this.links = addLink<Fiber<T>>(this.links, this, this.state === DEAD, cb);
  }

  unlink(cb: Link<T>): void {
    removeLink(this.links, cb);
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.markObserved();
    if (this.promise === undefined) {
      this.promise = new Promise<T>((resolve, reject) => {
        this.settlePromise = () => (this.failed ? reject(this.result) : resolve(this.result as T));
      });
      if (this.state === DEAD) this.settlePromise!();
    }
    return this.promise.then(onfulfilled, onrejected);
  }

  /** @internal 'new', 'scheduled', 'running' (started) or 'dead', for dumpFibers(). */
  get _phase(): 'new' | 'scheduled' | 'running' | 'dead' {
    return (['new', 'scheduled', 'running', 'dead'] as const)[this.state]!;
  }

  override toString(): string {
    const state = ['new', 'scheduled', 'running', 'dead'][this.state];
    return `<Fiber ${this.name} #${this.id} ${state}>`;
  }

  // Runs on the fiber's own carrier: the bottom frame of its stack.
  private readonly entry = (): void => {
    this.state = RUNNING;
    const fn = this.fn!;
    const args = this.args;
    this.fn = null;
    this.args = [];
    let result: unknown;
    let failed = false;
    try {
      result = fn(...args);
    } catch (err) {
      result = err;
      failed = !(err instanceof FiberExit);
    }
    counts.live--;
    this.finish(result, failed);
  };

  private finish(result: unknown, failed: boolean): void {
    this.state = DEAD;
    this.result = result;
    this.failed = failed;
    startedFibers.delete(this);
    if (endChannel.hasSubscribers) endChannel.publish({ fiber: this, failed, result });
    if (this._ownResource) this._resource.emitDestroy();
    const { joiners, links } = this;
    this.joiners = null;
    this.links = null;
    if (joiners !== null) for (const w of joiners) w.switch(undefined);
    runLinks(links, this);
    this.settlePromise?.();
    if (failed && !this.observed) {
      // Nobody is watching: report it exactly as Node reports an unhandled
      // rejection (same --unhandled-rejections modes, same default).
      this.unhandled = Promise.reject(result);
    }
  }

  private markObserved(): void {
    if (this.observed) return;
    this.observed = true;
    // Observed late: mark the rejection handled (Node then says so, as for promises).
    this.unhandled?.catch(() => {});
  }

  private dropJoiner(w: Waiter<void>): void {
    const i = this.joiners?.indexOf(w) ?? -1;
    if (i >= 0) this.joiners!.splice(i, 1);
  }
}

/** Creates a fiber running fn(...args) and schedules it to start on a later hub turn. */
export function spawn<A extends unknown[], T>(fn: (...args: A) => T, ...args: A): Fiber<T> {
  return new Fiber<T>(fn, { args }).start();
}

/** Like spawn, but the fiber starts after ms milliseconds. */
export function spawnLater<A extends unknown[], T>(ms: number, fn: (...args: A) => T, ...args: A): Fiber<T> {
  return new Fiber<T>(fn, { args }).startLater(ms);
}

/** The fiber running now, or null on the hub. */
export function current(): Fiber | null {
  return hub.current as Fiber | null;
}

export interface JoinAllOptions {
  timeout?: number;
  /** Throw the first error a fiber dies with, as soon as it happens. */
  raiseError?: boolean;
}

/** Blocks until every fiber is dead (or the timeout); returns the ones that are. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function joinAll<F extends Fiber<any>>(fibers: Iterable<F>, options?: JoinAllOptions): F[] {
  const opts = validateOptions('options', options);
  const list = checkFibers(fibers);
  const timeout = opts.timeout === undefined ? undefined : validateMs('options.timeout', opts.timeout);
  const raiseError = opts.raiseError === true;
  const pending = new Set(list.filter((f) => !f.dead));
  let firstFailed: F | undefined = list.find((f) => f.dead && !f.successful);
  if (pending.size > 0 && !(raiseError && firstFailed !== undefined)) {
    const w = new Waiter<void>('joinAll()');
    const onDeath = (fiber: Fiber<unknown>) => {
      const f = fiber as F;
      pending.delete(f);
      if (!f.successful) firstFailed ??= f;
      if (pending.size === 0 || (raiseError && !f.successful)) w.switch(undefined);
    };
    for (const f of pending) f.link(onDeath);
    try {
      w.get(timeout === undefined ? undefined : { timeout }, 'joinAll()');
    } catch (err) {
      if (!w.timedOut) throw err;
    } finally {
      for (const f of list) f.unlink(onDeath);
    }
  }
  for (const f of list) if (f.dead) f.join();
  if (raiseError && firstFailed !== undefined) throw firstFailed.error;
  return list.filter((f) => f.dead);
}

/** Kills every fiber; with block (default in a fiber), waits until all are dead. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function killAll(fibers: Iterable<Fiber<any>>, reason: unknown = new FiberExit(), options?: KillOptions): void {
  const opts = validateOptions('options', options);
  const list = checkFibers(fibers);
  for (const f of list) f.kill(reason, { block: false });
  const block = opts.block ?? hub.current !== null;
  if (block && hub.current !== null) {
    joinAll(list, opts.timeout === undefined ? undefined : { timeout: validateMs('options.timeout', opts.timeout) });
  }
}

function checkFibers<F>(fibers: Iterable<F>): F[] {
  if (fibers === null || typeof (fibers as Iterable<F>)?.[Symbol.iterator] !== 'function') {
    throw new InvalidArgTypeError('fibers', 'an iterable of Fiber', fibers);
  }
  const list = [...fibers];
  for (const f of list) {
    if (!(f instanceof Fiber)) throw new InvalidArgTypeError('fibers[]', 'an instance of Fiber', f);
  }
  return list;
}

export { GreenstackError, TimeoutError };
