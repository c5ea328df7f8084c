// async-waiter.ts: AsyncWaiter, a promise parked in a WaitList like a fiber's Waiter, with its own timeout and abort.
import { TimeoutError } from '../core/errors.js';
import { LongTimer, type BlockOptions } from '../core/waiter.js';
import { type Parked } from './wait-list.js';

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
