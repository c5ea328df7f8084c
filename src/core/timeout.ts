// timeout.ts: Timeout, which throws into its fiber at the blocking point, and withTimeout().
import { BlockingInHubError, TimeoutError, validateFunction, validateMs, validateOptions } from './errors.js';
import { hub, type Switchable } from './hub.js';
import { LongTimer } from './waiter.js';

/**
 * After ms milliseconds, throws `error` (default: a TimeoutError whose `timeout` is
 * this object) into the fiber that started it, at the point where it is blocked.
 * Cancel it when the guarded work is done; `using t = Timeout.startNew(ms)` does.
 */
export class Timeout {
  readonly ms: number;
  private readonly error: unknown;
  private timer: LongTimer | undefined;
  private fiber: Switchable | null = null;
  private thrown: unknown = undefined;

  constructor(ms: number, error?: unknown) {
    this.ms = validateMs('ms', ms);
    this.error = error;
  }

  static startNew(ms: number, error?: unknown): Timeout {
    return new Timeout(ms, error).start();
  }

  /** Arms the timer for the current fiber. */
  start(): this {
    const f = hub.current;
    if (f === null) throw new BlockingInHubError('Timeout.start()');
    this.cancel();
    this.fiber = f;
    this.timer = new LongTimer(this.ms, () => {
      this.timer = undefined;
      this.thrown = this.error ?? new TimeoutError(this.ms, this);
      hub.throwInto(f, this.thrown, false);
    });
    return this;
  }

  /** The timer is armed and has not fired. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** True when err is what this Timeout threw. */
  is(err: unknown): boolean {
    return err !== undefined && err === this.thrown;
  }

  /** Disarms the timer; a throw that fired but was not delivered yet is withdrawn. */
  cancel(): void {
    this.timer?.clear();
    this.timer = undefined;
    if (this.fiber !== null && this.thrown !== undefined) hub.cancelDeferred(this.fiber, this.thrown);
  }

  [Symbol.dispose](): void {
    this.cancel();
  }
}

export interface WithTimeoutOptions<V> {
  /** Returned instead of throwing when the timeout fires. */
  value?: V;
}

/** Runs fn() in the current fiber with a Timeout around it. */
export function withTimeout<T, V = never>(ms: number, fn: () => T, options?: WithTimeoutOptions<V>): T | V {
  validateMs('ms', ms);
  validateFunction('fn', fn);
  const opts = validateOptions('options', options);
  const t = Timeout.startNew(ms);
  try {
    return fn();
  } catch (err) {
    if (t.is(err) && 'value' in opts) return opts.value as V;
    throw err;
  } finally {
    t.cancel();
  }
}
