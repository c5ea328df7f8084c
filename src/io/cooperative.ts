// cooperative.ts: the declaration each cooperative module exports for the patcher, and parkOnCallback(), which blocks a fiber on a callback-style call.
import { executionAsyncResource } from 'node:async_hooks';
import { activeBackend } from '../core/backend.js';
import { hub } from '../core/hub.js';
import { Waiter } from '../core/waiter.js';

/**
 * What one cooperative module replaces in one Node builtin. The patcher
 * (patcher.ts) works only from these: it sets `builtin[name] = implements[name]`
 * for every entry, keeps the value it replaced, and re-syncs ESM named exports.
 * A value may be a function, a class or any other property value, so a module
 * for net/tls/http can declare `{ connect, createConnection, Socket }` the same way.
 */
export interface CooperativeModule {
  /** The builtin's name without the `node:` scheme: 'fs', 'child_process', 'net'. */
  readonly module: string;
  /** Properties of the builtin's exports object to replace, by name. */
  readonly implements: Readonly<Record<string, unknown>>;
  /** Called once right after the properties were replaced (extra wiring a module needs). */
  readonly afterPatch?: () => void;
  /** Undoes what afterPatch did; called by unpatchModule() before the originals go back. */
  readonly beforeUnpatch?: () => void;
}

/** A Node-style completion callback. */
export type NodeCallback = (err: unknown, ...results: unknown[]) => void;

/** True when the caller runs inside a fiber (so it may block cooperatively). */
export function inFiber(): boolean {
  return hub.current !== null;
}

/**
 * Starts a callback-style async operation and blocks only the calling fiber until
 * its callback fires; returns pick(results) or throws the operation's error.
 *
 * If the fiber is killed or timed out while parked, the operation still completes
 * on libuv: its result is handed to discard() (close a late fd, drop late data),
 * also when it had already been delivered but the fiber died before taking it.
 * An error the operation reports gets the calling fiber's stack, as a sync call's
 * error would have (async errors carry no useful frames).
 */
export function parkOnCallback<T>(
  what: string,
  start: (cb: NodeCallback) => void,
  pick: (results: unknown[]) => T,
  discard?: (value: T) => void,
): T {
  const w = new Waiter<T>(what);
  let opError: unknown;
  let value: T | undefined;
  start((err, ...results) => {
    if (err !== null && err !== undefined) {
      opError = err;
      w.throw(err);
      return;
    }
    let v: T;
    try {
      v = pick(results);
    } catch (e) {
      opError = e;
      w.throw(e);
      return;
    }
    if (w.switch(v)) value = v;
    else discard?.(v);
  });
  try {
    return w.get(undefined, what);
  } catch (err) {
    if (err === opError && opError !== undefined) restack(err, parkOnCallback);
    else if (w.delivered) discard?.(value as T);
    throw err;
  }
}

/**
 * Runs fn on the hub's own OS thread and hands its result (or error) to the calling
 * fiber, which blocks meanwhile. For Node APIs that keep per-OS-thread state: on the
 * carrier backend a fiber runs on a thread of its own, and Node 24 aborts when
 * tls.createSecureContext({ ca }) is used from two threads. On the hub, on the fast
 * backend (one thread), or inside an async scope the fiber opened (it cannot switch
 * there), fn simply runs in place.
 */
export function onHubThread<T>(what: string, fn: () => T): T {
  const f = hub.current;
  if (f === null || activeBackend() === 'fast' || executionAsyncResource() !== f._scope) return fn();
  return parkOnCallback(
    what,
    (cb) =>
      hub.runCallback(() => {
        let value: T;
        try {
          value = fn();
        } catch (err) {
          cb(err);
          return;
        }
        cb(null, value);
      }),
    first<T>,
  );
}

/** The first callback result (most Node callbacks: `(err, value)`). */
export function first<T>(results: unknown[]): T {
  return results[0] as T;
}

/**
 * Gives err the current stack (below `above`), keeping its first line (which
 * carries `name [code]: message`) exactly as it was.
 */
export function restack(err: unknown, above: (...args: never[]) => unknown): void {
  if (typeof err !== 'object' || err === null || !(err instanceof Error)) return;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, above);
  const frames = holder.stack ?? '';
  const nl = frames.indexOf('\n');
  const old = typeof err.stack === 'string' ? err.stack : `${err.name}: ${err.message}`;
  const at = old.indexOf('\n    at ');
  const header = at < 0 ? old : old.slice(0, at);
  try {
    Object.defineProperty(err, 'stack', {
      value: header + (nl < 0 ? '' : frames.slice(nl)),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  } catch {
    // A frozen error keeps the stack it has.
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

export interface TwinOptions {
  /** Positional parameters of the sync function; the callback goes after them. */
  arity: number;
  /** The sync return value from the callback's results (default: the first). */
  pick?: (results: unknown[]) => unknown;
  /** Argument shapes to leave to the sync function itself. */
  direct?: (args: unknown[]) => boolean;
}

/**
 * A cooperative version of a sync function that has a callback twin taking the
 * same arguments: in a fiber it calls twin(...args, cb) and parks; on the hub, or
 * when a positional argument is a function (the twin would take it for its
 * callback), it calls the sync function.
 */
export function viaTwin(name: string, sync: AnyFn, twin: AnyFn, options: TwinOptions): AnyFn {
  const { arity, pick = first, direct } = options;
  const fn = {
    [name](this: unknown, ...args: unknown[]): unknown {
      if (!inFiber() || args.slice(0, arity).some((a) => typeof a === 'function') || direct?.(args) === true) {
        return sync.apply(this, args);
      }
      // Omitted (or undefined) trailing arguments are left out, so the twin finds
      // its callback early and applies its own defaults, as the sync form does.
      const given = args.slice(0, arity);
      while (given.length > 0 && given[given.length - 1] === undefined) given.pop();
      return parkOnCallback(name, (cb) => twin(...given, cb), pick);
    },
  }[name]!;
  Object.defineProperty(fn, 'length', { value: sync.length });
  return fn;
}
