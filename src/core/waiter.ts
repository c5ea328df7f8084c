// waiter.ts: the one mechanism every blocking call parks a fiber on, with timeout and AbortSignal.
import { BlockingInHubError, InvalidArgTypeError, LoopExit, TimeoutError, validateMs, validateSignal } from './errors.js';
import { performance } from 'node:perf_hooks';
import { hub, type Switchable } from './hub.js';
import { clearTimeout, setTimeout } from './timers.js';

export interface BlockOptions {
  /** Milliseconds before the call gives up with TimeoutError (Infinity: never). */
  timeout?: number;
  /** Aborting it makes the call throw `signal.reason`. */
  signal?: AbortSignal;
}

const WAITING = 0;
const VALUE = 1;
const ERROR = 2;
const ABANDONED = 3;

// setTimeout clamps delays above 2^31-1 ms to 1 ms; chain instead.
const MAX_DELAY = 2 ** 31 - 1;

/** A timer that may be longer than setTimeout allows; Infinity never fires. */
export class LongTimer {
  private handle: NodeJS.Timeout | undefined;

  constructor(ms: number, private readonly fire: () => void) {
    this.arm(ms);
  }

  private arm(ms: number): void {
    if (ms === Infinity) return;
    if (ms > MAX_DELAY) this.handle = setTimeout(() => this.arm(ms - MAX_DELAY), MAX_DELAY);
    else this.handle = setTimeout(this.fire, ms);
  }

  clear(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

// `what` names the call in errors (BlockingInHubError, LoopExit): it must be a string.
function validateWhat(what: unknown): void {
  if (typeof what !== 'string') throw new InvalidArgTypeError('what', 'of type string', what);
}

/**
 * A one-shot slot the current fiber blocks on until someone settles it: with a
 * value (switch) or an error (throw). Settling works from anywhere (hub callbacks,
 * promise reactions, other fibers) and only the first settlement counts, so a
 * timeout racing a wake-up can never lose either.
 *
 * When get() throws because the fiber was killed, the waiter may still have been
 * settled with a value first (`delivered`): a primitive that handed something over
 * (an item, a permit) must then take it back or pass it on.
 */
export class Waiter<T = unknown> {
  readonly fiber: Switchable;
  private state = WAITING;
  private result: unknown = undefined;
  private ownTimeout = false;
  /** @internal performance.now() at which a timeout or sleep ends this wait, for dumpFibers (-1: none) */
  _due = -1;

  constructor(what = 'this call') {
    validateWhat(what);
    const f = hub.current;
    if (f === null) throw new BlockingInHubError(what);
    this.fiber = f;
  }

  /** True once settled or abandoned: switch() and throw() no longer do anything. */
  get settled(): boolean {
    return this.state !== WAITING;
  }

  /** Settled with a value (which the fiber may not have received if it was killed). */
  get delivered(): boolean {
    return this.state === VALUE;
  }

  /** get() failed because of its own `timeout` option. */
  get timedOut(): boolean {
    return this.ownTimeout;
  }

  /** Wakes the fiber with value. False if the waiter was already settled or abandoned. */
  switch(value: T): boolean {
    if (this.state !== WAITING) return false;
    this.state = VALUE;
    this.result = value;
    hub.wake(this.fiber);
    return true;
  }

  /** Wakes the fiber by throwing err from get(). False if already settled or abandoned. */
  throw(err: unknown): boolean {
    if (this.state !== WAITING) return false;
    this.state = ERROR;
    this.result = err;
    hub.wake(this.fiber);
    return true;
  }

  /** Blocks the fiber that made this waiter until it is settled. */
  get(options?: BlockOptions, what = 'this call'): T {
    validateWhat(what);
    if (this.state === WAITING) {
      const timeout = options?.timeout === undefined ? undefined : validateMs('timeout', options.timeout);
      const signal = validateSignal('signal', options?.signal);
      let timer: LongTimer | undefined;
      let onAbort: (() => void) | undefined;
      try {
        if (signal !== undefined) {
          if (signal.aborted) throw signal.reason;
          onAbort = () => this.throw(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
        }
        if (timeout !== undefined) {
          if (timeout !== Infinity) this._due = performance.now() + timeout;
          timer = new LongTimer(timeout, () => {
            if (this.throw(new TimeoutError(timeout))) this.ownTimeout = true;
          });
        }
        while (this.state === WAITING) hub.switchOut(what, this);
      } catch (err) {
        if (this.state === WAITING) this.state = ABANDONED;
        if (err instanceof LoopExit) err._blockedAt(what); // where the main fiber was stuck (cli.ts)
        // What is thrown here is a kill/Timeout/abort, never the own timeout (that is
        // thrown below), even if the own timer settled the waiter first.
        this.ownTimeout = false;
        throw err;
      } finally {
        timer?.clear();
        if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
      }
    }
    if (this.state === VALUE) return this.result as T;
    throw this.result;
  }
}
