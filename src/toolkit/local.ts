// local.ts: FiberLocal, a value per fiber (and one for the hub), gevent.local's counterpart.
import { validateFunction } from '../core/errors.js';
import { hub } from '../core/hub.js';

// The hub's own slot (async code and hub callbacks all share it).
const HUB_KEY = {};

/**
 * One value per fiber: `local.value` reads and writes the running fiber's own
 * value (the hub has its own too). A fiber's first read without a value calls
 * init() (if given) and keeps the result. Values are held in a WeakMap keyed by
 * the Fiber object, so they go away with the fiber; nothing is inherited by
 * fibers a fiber spawns.
 */
export class FiberLocal<T = unknown> {
  private readonly values = new WeakMap<object, T>();
  private readonly init: (() => T) | undefined;

  constructor(init?: () => T) {
    if (init !== undefined) validateFunction('init', init);
    this.init = init;
  }

  /** The caller's value (undefined if unset and there is no init). */
  get value(): T {
    const key = hub.current ?? HUB_KEY;
    if (this.values.has(key)) return this.values.get(key) as T;
    if (this.init === undefined) return undefined as T;
    const value = this.init();
    this.values.set(key, value);
    return value;
  }

  set value(value: T) {
    this.values.set(hub.current ?? HUB_KEY, value);
  }

  /** True when the caller has a value (set, or made by init). */
  has(): boolean {
    return this.values.has(hub.current ?? HUB_KEY);
  }

  /** Forgets the caller's value (the next read calls init again). */
  delete(): boolean {
    return this.values.delete(hub.current ?? HUB_KEY);
  }
}
