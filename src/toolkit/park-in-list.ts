// park-in-list.ts: parking a fiber (parkInList) or a promise (parkInListAsync) in a WaitList until a waker hands it a value.
import { Waiter, type BlockOptions } from '../core/waiter.js';
import { AsyncWaiter } from './async-waiter.js';
import { type WaitList } from './wait-list.js';

/** What parkInList() does when the fiber's own timeout fires. */
export type OnTimeout<R> = () => R;

/**
 * Parks the current fiber in list (throws BlockingInHubError on the hub) until a
 * waker hands it a value. On its own timeout it returns onTimeout() instead. If it
 * is killed (or aborted) after a value was handed over, onLost(value) gets it back
 * to the primitive before the error propagates, so nothing handed over is lost.
 */
export function parkInList<T, D, R = T>(
  list: WaitList<T, D>,
  data: D,
  what: string,
  opts: BlockOptions | undefined,
  onTimeout: OnTimeout<R>,
  onLost?: (value: T) => void,
): T | R {
  const w = new Waiter<T>(what);
  const node = list.push(w, data);
  try {
    return w.get(opts, what);
  } catch (err) {
    if (w.timedOut) return onTimeout();
    if (w.delivered && onLost !== undefined) onLost(node.given as T);
    throw err;
  } finally {
    list.remove(node);
  }
}

/**
 * The promise twin of parkInList(): queues in the same list; resolves with what it is
 * handed, or with onTimeout() on its own timeout (default: rejects with TimeoutError).
 */
export function parkInListAsync<T, D, R = T>(
  list: WaitList<T, D>,
  data: D,
  opts: BlockOptions | undefined,
  onTimeout?: OnTimeout<R>,
): Promise<T | R> {
  const a = new AsyncWaiter<T | R>(opts, onTimeout);
  a.node = list.push(a, data);
  return a.promise;
}
