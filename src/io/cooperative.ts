// cooperative.ts: the declaration each cooperative module exports for the patcher, and parkOnCallback(), which blocks a fiber on a callback-style call.
import { executionAsyncResource } from 'node:async_hooks';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { liveFibers, spawnCount } from '../core/fiber.js';
import { hub } from '../core/hub.js';
import { gcPauseMs } from '../core/native.js';
import { monitorBlockingMs } from '../core/observe.js';
import { sleep } from '../core/wait.js';
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
  /**
   * Callback-last functions of the builtin (fs.stat, child_process.exec...) whose
   * callback, given inside a fiber, continues in a fiber (patch/continuations.ts).
   */
  readonly continues?: readonly string[];
  /** Called once right after the properties were replaced (extra wiring a module needs). */
  readonly afterPatch?: () => void;
  /** Undoes what afterPatch did; called by unpatchModule() before the originals go back. */
  readonly beforeUnpatch?: () => void;
}

/**
 * The async functions of a builtin that have a *Sync twin (plus extra): what a
 * cooperative module lists as `continues`.
 */
export function callbackTwins(builtin: object, extra: readonly string[] = []): string[] {
  const b = builtin as Record<string, unknown>;
  // The Sync twin is looked at first: reading fs.promises (a lazy getter) would load
  // node's whole promise API, readline included, into every patched process.
  const names = Object.keys(b).filter((n) => /^[a-z]/.test(n) && !n.endsWith('Sync') && typeof b[`${n}Sync`] === 'function' && typeof b[n] === 'function');
  return [...names, ...extra.filter((n) => typeof b[n] === 'function')];
}

/** A Node-style completion callback. */
export type NodeCallback = (err: unknown, ...results: unknown[]) => void;

/**
 * True when the caller runs inside a fiber and may park there: a cooperative call
 * that gets false runs node's own sync function. A patched call is an implicit
 * yield, so it must not park where plain node guarantees nothing else runs:
 * inside an async_hooks scope the fiber entered (AsyncResource.runInAsyncScope,
 * bound functions: leaving it suspended corrupts the async id stack), and while
 * the fiber loads a module or formats a stack trace (`_noPark`, see
 * patch/atomic.ts): other fibers would see half-built exports, or V8's
 * formatting state; and once the process is exiting ('exit' handlers run
 * synchronously and the loop never turns again).
 */
export function inFiber(): boolean {
  const f = hub.current;
  if (f === null) {
    if ((reportOnHub && spawnCount() > 0) || monitorBlockingMs() > 0) reportHubCall();
    return false;
  }
  return f._noPark === 0 && !exiting && executionAsyncResource() === f._scope;
}

let exiting = false;
// First of all 'exit' listeners, so the user's own handlers already see it.
process.prependListener('exit', () => {
  exiting = true;
});

let reportOnHub = false;
const reportedSites = new Set<string>();
const MAX_REPORTED_SITES = 20;
const dist = path.join(__dirname, '..') + path.sep;

/** Patch mode: report cooperative calls made on the hub while fibers are alive. */
export function reportCallsOnHub(on: boolean): void {
  reportOnHub = on;
}

// A cooperative call on the hub runs node's sync function and stalls every fiber.
// In patch mode that is almost always code after an `await` (promise continuations
// run on the hub): say so once per call site, on stderr, with the stack. Also
// whenever the blocking watchdog is on (observe.ts), patch mode or not.
function reportHubCall(): void {
  if (reportedSites.size >= MAX_REPORTED_SITES) return;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, inFiber);
  const frames = (holder.stack ?? '').split('\n').slice(1);
  // The caller: node's own use (console on a piped stdout, the module loader) is not reported.
  const site = frames.find((l) => !l.includes(dist));
  if (site === undefined || /\(node:|at node:/.test(site) || reportedSites.has(site)) return;
  reportedSites.add(site);
  const name = /at (?:\S+\.)?(\w+) /.exec(frames[0] ?? '')?.[1] ?? 'a cooperative call';
  process.emitWarning(
    `${name}() ran on the hub, outside any fiber: it blocked the whole process (${liveFibers()} fiber(s) ` +
      'alive). In patch mode this is most likely code after an `await` (promise continuations cannot be moved ' +
      'into a fiber): make the call before the first await, inside spawn(fn), or use its async twin there.\n' +
      frames.slice(frames.indexOf(site)).join('\n'),
    { type: 'GreenstackWarning', code: 'GREENSTACK_BLOCKING_ON_HUB' },
  );
}

// --- Calls that would not block for long run in place --------------------------------
//
// A threadpool round trip plus two switches costs 20-50 us; a warm statSync takes
// 2-5 us. So, as Go leaves short syscalls on their thread, a call that cannot block
// indefinitely runs node's sync function in place while it stays quick. One that took
// longer than SLOW_MS (a stalled or network filesystem) sends its function back to
// the threadpool for the next SLOW_BACKOFF calls, then it is tried in place again.
// Calls that may open a FIFO or a device (whose other end may be another fiber, or
// the hub) run in place only when the caller's check says the target is a regular
// file (fs.ts: readFileSync, writeFileSync, appendFileSync by path).
const IN_PLACE = new Set([
  'accessSync', 'existsSync', 'statSync', 'lstatSync', 'fstatSync', 'readdirSync', 'readlinkSync',
  'mkdirSync', 'rmdirSync', 'unlinkSync', 'renameSync', 'linkSync', 'symlinkSync', 'chmodSync',
  'fchmodSync', 'chownSync', 'fchownSync', 'lchownSync', 'utimesSync', 'futimesSync', 'lutimesSync',
  'closeSync', 'statfsSync',
]);
// Well above a preempted quick call on a loaded machine; a stalled filesystem stalls for longer.
let slowMs = 10;
// A fiber calling in place this long since it was resumed yields to the others.
let sliceMs = 10;
const SLOW_BACKOFF = 64;
const backoff = new Map<string, number>();
let inPlaceOff = process.env.GREENSTACK_IN_PLACE === '0';

/**
 * Tests and benchmarks: false sends every cooperative call through the threadpool;
 * slow sets the duration in ms above which a call in place counts as slow, and slice
 * the longest run of calls in place (since the fiber was resumed) before the fiber
 * yields to the hub.
 */
export function setInPlaceCalls(enabled: boolean, slow = 10, slice = slow): void {
  inPlaceOff = !enabled;
  slowMs = slow;
  sliceMs = slice;
  backoff.clear();
}

/** What inPlace() returns when the call must go through the threadpool. */
export const NOT_IN_PLACE: unique symbol = Symbol('greenstack.notInPlace');

/**
 * In a fiber (inFiber() was true): runs fn.apply(self, args) in place, timed, and
 * returns its result when the call named name would not block for long (for a
 * whole-file call, when regularFile(name, args) says its target is a regular file;
 * a CPU-bound call passes a check that is always true); NOT_IN_PLACE to go through
 * the threadpool. No closure per call: this is the path of every quick fs call.
 */
export function inPlace(
  name: string,
  fn: (...args: unknown[]) => unknown,
  self: unknown,
  args: unknown[],
  regularFile?: (name: string, args: unknown[]) => boolean,
): unknown {
  if (inPlaceOff) return NOT_IN_PLACE;
  if (regularFile === undefined && !IN_PLACE.has(name)) return NOT_IN_PLACE;
  if (backoff.size > 0) {
    const left = backoff.get(name);
    if (left !== undefined) {
      if (left > 1) backoff.set(name, left - 1);
      else backoff.delete(name);
      return NOT_IN_PLACE;
    }
  }
  let t0 = performance.now();
  const f = hub.current!;
  // Fairness: a fiber that has gone on calling in place for a whole slice since it was
  // last resumed yields to the hub first, as sleep(0) does, so other fibers, timers and
  // IO get their turn (a loop of statSync would otherwise starve them). A yield, not
  // this call through the threadpool: for a fiber alone that was a round trip (three,
  // for a writeFileSync) every 10 ms of a script, for nothing.
  if (f._placeSwitch === hub.switches && t0 - f._placeStart > sliceMs) {
    // An implicit yield, as the call's park would have been: the fiber's own callbacks
    // stay held until it blocks explicitly (run to completion).
    f._implicit++;
    try {
      sleep(0);
    } finally {
      f._implicit--;
    }
    t0 = performance.now();
  }
  if (f._placeSwitch !== hub.switches) {
    f._placeSwitch = hub.switches;
    f._placeStart = t0;
  }
  const gc0 = gcPauseMs();
  // node's own function may call other fs functions through the (patched) module
  // (Node 20's readFileSync calls fs.openSync and fs.readSync): those run in place too.
  f._noPark++;
  try {
    if (regularFile !== undefined && !regularFile(name, args)) return NOT_IN_PLACE;
    return fn.apply(self, args);
  } finally {
    f._noPark--;
    // A GC pause inside the call is the heap's time, not the filesystem's: left out, or
    // one full GC under load would send the next SLOW_BACKOFF quick calls the slow way.
    if (performance.now() - t0 - (gcPauseMs() - gc0) > slowMs) backoff.set(name, SLOW_BACKOFF);
  }
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
  machinery(() => start(onDone));
  function onDone(err: unknown, ...results: unknown[]): void {
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
  }
  try {
    return implicitly(w, what);
  } catch (err) {
    if (err === opError && opError !== undefined) restack(err, parkOnCallback);
    else if (w.delivered) discard?.(value as T);
    throw err;
  }
}

/**
 * Runs fn, which starts the operation behind a cooperative call: what it registers
 * (listeners, callbacks) is greenstack's machinery, which patch mode leaves on the hub.
 */
export function machinery<T>(fn: () => T): T {
  hub.untracked++;
  try {
    return fn();
  } finally {
    hub.untracked--;
  }
}

/**
 * w.get() for a cooperative call, an implicit yield: until it returns, the work of the
 * fiber's own callbacks is held (hub.hold), as node runs no callback during a sync call.
 */
export function implicitly<T>(w: Waiter<T>, what: string): T {
  const f = w.fiber;
  f._implicit++;
  try {
    return w.get(undefined, what);
  } finally {
    f._implicit--;
  }
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

/** inPlace()'s check for calls that may always run in place (CPU-bound work, a whole-file read the addon checks itself). */
export const ANY_TARGET = (): boolean => true;

// --- CPU-bound threadpool jobs -------------------------------------------------------
//
// Patch mode makes the threadpool large (threadpool.ts: IO calls that stall must not
// starve the others), but CPU-bound jobs (zlib, crypto) on 32 threads of a 2-core
// machine starve the hub: the kernel gives the main thread 1/33 of the CPUs while
// the fibers that would feed the jobs wait for it. A Pool(32) build script (gzipSync
// per file) ran 1.27x the time of its async rewrite on libuv's 4 threads, with the
// same CPU. At most one job per CPU runs; the others' fibers wait their turn (FIFO).
const CPU_SLOTS = Math.max(1, os.availableParallelism());
let cpuBusy = 0;
const cpuQueue: Array<Waiter<void>> = [];

/** @internal Tests: the most CPU-bound jobs in flight at once, and the jobs in flight now. */
export const cpuSlots = { limit: CPU_SLOTS, busy: (): number => cpuBusy };

function takeCpuSlot(what: string): void {
  if (cpuBusy < CPU_SLOTS && cpuQueue.length === 0) {
    cpuBusy++;
    return;
  }
  const w = new Waiter<void>(what);
  cpuQueue.push(w);
  try {
    implicitly(w, what);
  } catch (err) {
    const at = cpuQueue.indexOf(w);
    if (at >= 0) cpuQueue.splice(at, 1);
    // Handed the slot, then killed before taking it: pass it on.
    else if (w.delivered) releaseCpuSlot();
    throw err;
  }
}

// Hands the slot to the next waiting fiber, or frees it.
function releaseCpuSlot(): void {
  while (cpuQueue.length > 0) {
    if (cpuQueue.shift()!.switch()) return;
  }
  cpuBusy--;
}

/**
 * A cooperative version of a sync function that has a callback twin taking the
 * same arguments (CPU-bound work: zlib, crypto): in a fiber it calls twin(...args,
 * cb) and parks, or, when no other fiber is alive, runs the sync function in place;
 * on the hub, or when a positional argument is a function (the twin would take it
 * for its callback), it calls the sync function. At most one job per CPU is on the
 * threadpool at a time (takeCpuSlot).
 */
export function viaTwin(name: string, sync: AnyFn, twin: AnyFn, options: TwinOptions): AnyFn {
  const { arity, pick = first, direct } = options;
  const fn = {
    [name](this: unknown, ...args: unknown[]): unknown {
      if (!inFiber() || args.slice(0, arity).some((a) => typeof a === 'function') || direct?.(args) === true) {
        return sync.apply(this, args);
      }
      // A fiber alone has nothing to overlap the work with: node's own function runs in
      // place (an unmodified zlib-heavy script under the CLI took 1.7x node's time with
      // a threadpool round trip per call), timed as quick fs calls are, so one that
      // takes long still sends the next ones to the threadpool and the hub gets turns.
      if (liveFibers() <= 1) {
        const quick = inPlace(name, sync, this, args, ANY_TARGET);
        if (quick !== NOT_IN_PLACE) return quick;
      }
      // Omitted (or undefined) trailing arguments are left out, so the twin finds
      // its callback early and applies its own defaults, as the sync form does.
      const given = args.slice(0, arity);
      while (given.length > 0 && given[given.length - 1] === undefined) given.pop();
      takeCpuSlot(name);
      // The slot is the job's, not the fiber's: freed when the job ends, also for a
      // fiber killed meanwhile (the job still runs to its end on libuv), or at once
      // when twin() threw before queueing anything.
      let queued = false;
      try {
        return parkOnCallback(name, (cb) => {
          twin(...given, (...results: unknown[]) => {
            releaseCpuSlot();
            (cb as (...r: unknown[]) => void)(...results);
          });
          queued = true;
        }, pick);
      } finally {
        if (!queued) releaseCpuSlot();
      }
    },
  }[name]!;
  Object.defineProperty(fn, 'length', { value: sync.length });
  return fn;
}
