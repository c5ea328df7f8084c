// wait.ts: sleep() and wait(promise), the two basic ways a fiber blocks.
import { BlockingInHubError, validateMs } from './errors.js';
import { performance } from 'node:perf_hooks';
import { hub } from './hub.js';
import { LongTimer, Waiter, type BlockOptions } from './waiter.js';

/**
 * Blocks the current fiber for ms milliseconds. sleep(0) lets every other ready
 * fiber run once (and IO be polled) before this one continues.
 */
export function sleep(ms = 0, options?: { signal?: AbortSignal }): void {
  validateMs('ms', ms);
  if (hub.current === null) throw new BlockingInHubError('sleep()');
  const w = new Waiter<void>('sleep()');
  if (ms === 0) {
    if (options?.signal?.aborted) throw options.signal.reason;
    hub.rescheduleCurrent();
    w.switch(undefined);
    hub.switchOut('sleep()');
    return;
  }
  const timer = new LongTimer(ms, () => w.switch(undefined));
  if (ms !== Infinity) w._due = performance.now() + ms;
  try {
    w.get(options, 'sleep()');
  } finally {
    timer.clear();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Blocks only the current fiber until the promise (or thenable) settles; returns
 * its value or throws its rejection reason. A non-thenable is returned as is. The
 * fiber resumes in the promise's reaction, where `await` would continue.
 */
export function wait<T>(promise: T | PromiseLike<T>, options?: BlockOptions): Awaited<T> {
  if (hub.current === null) throw new BlockingInHubError('wait()');
  if (!isThenable(promise)) return promise as Awaited<T>;
  const w = new Waiter<Awaited<T>>('wait()');
  const f = w.fiber;
  Promise.resolve(promise).then(
    (value) => {
      w.switch(value as Awaited<T>);
      hub.resumeWoken(f);
    },
    (err) => {
      w.throw(err);
      hub.resumeWoken(f);
    },
  );
  return w.get(options, 'wait()');
}
