// continuations.ts: patch mode's rule that work continued from a fiber stays in a fiber: listeners and callbacks registered inside a fiber run in a fiber when the hub invokes them.
//
// What a fiber registers (EventEmitter listeners, timers, setImmediate,
// process.nextTick, the callbacks of async fs/child_process/zlib/crypto calls) is
// run by the hub, later, outside any fiber; there a patched *Sync call would block
// the whole process. So each such invocation runs in a fiber of its own, at once
// ("run-now": the emit() or callback returns when the work finishes or first
// blocks), which code that never blocks cannot tell from a plain call.
//
// Invocations go through a Lane (one per emitter, one per callback): one at a time,
// in order. An invocation that arrives while the previous one is still blocked
// waits its turn, and a Readable whose 'data' has to wait is paused until the lane
// drains, so blocking in a 'data' listener is backpressure, not a growing buffer.
//
// Run to completion: node never runs a callback in the middle of synchronous code.
// While the fiber that registered a listener sits in an implicit call (a patched
// *Sync), the listener's invocations are held (hub.hold) and run once that fiber
// blocks explicitly (wait, sleep, join, a toolkit primitive) or ends.
import { EventEmitter } from 'node:events';
import { CarrierLimitError } from '../core/errors.js';
import { Fiber } from '../core/fiber.js';
import { hub, type Switchable } from '../core/hub.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

interface Job {
  /** Runs the work (inside the lane's fiber). */
  readonly run: () => void;
  /** The fibers that registered the work: held while one of them is parked implicitly. */
  readonly owners: readonly Switchable[];
  readonly name: string;
}

interface Pausable {
  pause(): unknown;
  resume(): unknown;
  readonly readableFlowing?: boolean | null;
}

/** Invocations of one emitter's (or one callback's) work: one at a time, in order. */
class Lane {
  busy = false;
  readonly queue: Job[] = [];
  /** The stream this lane paused for backpressure, to resume when it drains. */
  paused: Pausable | null = null;
  /** setInterval: at most one invocation waits (node never piles them up). */
  constructor(readonly coalesce = false) {}
}

let stats = { invocations: 0, held: 0, queued: 0 };

/** Counters for tests and the bench: invocations run in fibers, held, queued. */
export function continuationStats(): { invocations: number; held: number; queued: number } {
  return { ...stats };
}

/** The owner that is parked in an implicit call right now, if any. */
function heldBy(owners: readonly Switchable[]): Switchable | null {
  for (const o of owners) if (parkedImplicitly(o)) return o;
  return null;
}

// o sits in a patched *Sync call (an implicit park): its callbacks wait, as under node.
function parkedImplicitly(o: Switchable): boolean {
  return o._implicit > 0 && o._handle !== null && o !== hub.current;
}

/**
 * Hub only: hands job to lane. If the lane is free it runs now, in a fiber, and an
 * error the work throws before it first blocks is thrown here, to the emitter or
 * timer that invoked it, as node would. Later errors are uncaught errors.
 */
function deliver(lane: Lane, job: Job, pauseTarget: Pausable | null): void {
  if (lane.busy || lane.queue.length > 0) {
    if (lane.coalesce && lane.queue.length > 0) return;
    lane.queue.push(job);
    stats.queued++;
    if (pauseTarget !== null && lane.paused === null && pauseTarget.readableFlowing === true) {
      lane.paused = pauseTarget;
      pauseTarget.pause();
    }
    return;
  }
  lane.queue.push(job);
  pump(lane, true);
}

// Starts the lane's next job, unless an owner holds it; rethrow: see deliver().
function pump(lane: Lane, rethrow: boolean): void {
  const job = lane.queue[0];
  if (job === undefined) {
    const stream = lane.paused;
    lane.paused = null;
    stream?.resume();
    return;
  }
  const owner = heldBy(job.owners);
  if (owner !== null) {
    stats.held++;
    hub.hold(owner, () => pumpReporting(lane));
    return;
  }
  lane.queue.shift();
  lane.busy = true;
  stats.invocations++;
  const f = new Fiber(runJob, { args: [lane, job], name: job.name });
  try {
    f._runNow();
  } catch (err) {
    if (!(err instanceof CarrierLimitError)) throw err;
    // No thread for another fiber: run the work as node would, on the hub.
    lane.busy = false;
    job.run();
    pumpLater(lane);
    return;
  }
  if (rethrow && f.dead && !f.successful) throw f.error;
}

function runJob(lane: Lane, job: Job): void {
  try {
    job.run();
  } finally {
    lane.busy = false;
    // The next job (or resuming a paused stream, which emits at once) starts from
    // the hub, so it goes through the lane again.
    if (lane.queue.length > 0 || lane.paused !== null) pumpLater(lane);
  }
}

function pumpLater(lane: Lane): void {
  hub.runCallback(() => pumpReporting(lane));
}

// A hub callback, for work that no caller waits for: an error it throws before it
// blocks is reported by the hub's guard as an uncaught error.
function pumpReporting(lane: Lane): void {
  if (!lane.busy) pump(lane, true);
}

// --- Callbacks --------------------------------------------------------------------

/**
 * Returns fn, or, inside a fiber, a function that runs fn in a fiber when the hub
 * calls it (in a fiber it calls fn directly). One lane per returned function.
 */
export function continueInFiber<F extends AnyFn>(fn: F, coalesce = false): F {
  const owner = hub.current;
  if (owner === null || hub.untracked > 0 || typeof fn !== 'function') return fn;
  const lane = new Lane(coalesce);
  const owners = [owner];
  const name = `callback ${fn.name || '(anonymous)'}`;
  return function (this: unknown, ...args: unknown[]): unknown {
    if (hub.current !== null) return Reflect.apply(fn, this, args);
    deliver(lane, { run: () => void Reflect.apply(fn, this, args), owners, name }, null);
    return undefined;
  } as F;
}

/**
 * Wraps a callback-last API function (fs.stat, child_process.exec, zlib.gzip...):
 * inside a fiber, its callback continues in a fiber. Own properties (such as
 * util.promisify.custom) are kept.
 */
export function withContinuedCallback<F extends AnyFn>(original: F): F {
  return standIn(original, function (this: unknown, ...args: unknown[]): unknown {
    if (hub.current !== null) {
      const last = args.length - 1;
      if (last >= 0 && typeof args[last] === 'function') args[last] = continueInFiber(args[last] as AnyFn);
    }
    return Reflect.apply(original, this, args);
  });
}

// fn under original's name and length, with original's other own properties
// (util.promisify.custom...): code that inspects the function sees node's.
function standIn<F extends AnyFn>(original: F, fn: AnyFn): F {
  for (const key of Reflect.ownKeys(original)) {
    if (key !== 'prototype') Object.defineProperty(fn, key, Object.getOwnPropertyDescriptor(original, key)!);
  }
  return fn as F;
}

// --- EventEmitter ------------------------------------------------------------------

const kOwners = Symbol('greenstack.listenerOwners');
const kLane = Symbol('greenstack.lane');

interface Tracked {
  [kOwners]?: WeakMap<object, Switchable>;
  [kLane]?: Lane;
  rawListeners(type: string | symbol): AnyFn[];
}

type Register = (this: EventEmitter, type: string | symbol, listener: AnyFn) => EventEmitter;
type Emit = (this: EventEmitter, type: string | symbol, ...args: unknown[]) => boolean;

const proto = EventEmitter.prototype as unknown as Record<string, unknown>;
let originals: { on: Register; prependListener: Register; emit: Emit } | null = null;

function track(emitter: Tracked, listener: AnyFn, owner: Switchable): void {
  let owners = emitter[kOwners];
  if (owners === undefined) {
    owners = new WeakMap();
    try {
      Object.defineProperty(emitter, kOwners, { value: owners, configurable: true, writable: true });
    } catch {
      return; // a frozen emitter: its listeners run where it emits
    }
  }
  owners.set(listener, owner);
}

function on(this: EventEmitter, type: string | symbol, listener: AnyFn): EventEmitter {
  const f = hub.current;
  if (f !== null && hub.untracked === 0 && typeof listener === 'function') track(this as unknown as Tracked, listener, f);
  return originals!.on.call(this, type, listener);
}

function prependListener(this: EventEmitter, type: string | symbol, listener: AnyFn): EventEmitter {
  const f = hub.current;
  if (f !== null && hub.untracked === 0 && typeof listener === 'function') track(this as unknown as Tracked, listener, f);
  return originals!.prependListener.call(this, type, listener);
}

// The process's lifecycle events run where node runs them: a fiber started from a
// 'beforeExit' listener is new work for the loop, so node would emit it again, forever.
function lifecycle(emitter: EventEmitter, type: string | symbol): boolean {
  return emitter === (process as unknown as EventEmitter) && (type === 'beforeExit' || type === 'exit');
}

function emit(this: EventEmitter, type: string | symbol, ...args: unknown[]): boolean {
  const owners = (this as unknown as Tracked)[kOwners];
  if (owners === undefined || hub.current !== null || lifecycle(this, type)) return originals!.emit.call(this, type, ...args);
  const listeners = (this as unknown as Tracked).rawListeners(type);
  let mine: Switchable[] | null = null;
  for (const l of listeners) {
    const o = owners.get(l);
    if (o !== undefined && (mine === null || !mine.includes(o))) (mine ??= []).push(o);
  }
  if (mine === null) return originals!.emit.call(this, type, ...args);
  let lane = (this as unknown as Tracked)[kLane];
  if (lane === undefined) {
    lane = new Lane();
    Object.defineProperty(this, kLane, { value: lane, configurable: true, writable: true });
  }
  // The listeners of one emission run in order in one fiber (a snapshot, as node's emit takes).
  const run = () => {
    for (const l of listeners) Reflect.apply(l, this, args);
  };
  const pausable = type === 'data' && typeof (this as unknown as Pausable).pause === 'function' ? (this as unknown as Pausable) : null;
  deliver(lane, { run, owners: mine, name: `'${String(type)}' listeners` }, pausable);
  return true;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: false, configurable: true });
}

/** Patch mode for node:events: listeners registered in a fiber run in a fiber. */
export function installEmitterContinuations(): void {
  if (originals !== null) return;
  originals = {
    on: proto.on as Register,
    prependListener: proto.prependListener as Register,
    emit: proto.emit as Emit,
  };
  define(proto, 'on', on);
  define(proto, 'addListener', on);
  define(proto, 'prependListener', prependListener);
  define(proto, 'emit', emit);
}

export function uninstallEmitterContinuations(): void {
  if (originals === null) return;
  define(proto, 'on', originals.on);
  define(proto, 'addListener', originals.on);
  define(proto, 'prependListener', originals.prependListener);
  define(proto, 'emit', originals.emit);
  originals = null;
}

// --- Node's fetch -------------------------------------------------------------------

// fetch() (undici, inside node) and the body readers of its Response set up listeners
// on undici's own sockets and streams, and timers, from the calling fiber, yet none of
// them ever calls user code: results reach the caller only through promises. Left
// untracked they run on the hub as under node, instead of in a fiber each (web-10k:
// four fibers a request for fetch's own callbacks).
const BODY_READERS = ['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text'];
let fetchOriginals: Array<[target: Record<string, unknown>, key: string, value: AnyFn]> | null = null;

function untracked(original: AnyFn): AnyFn {
  return standIn(original, function (this: unknown, ...args: unknown[]): unknown {
    hub.untracked++;
    try {
      return Reflect.apply(original, this, args);
    } finally {
      hub.untracked--;
    }
  });
}

/** Patch mode: what node's fetch and its Response bodies register from a fiber stays on the hub. */
export function installFetchScope(): void {
  if (fetchOriginals !== null || typeof globalThis.fetch !== 'function') return;
  fetchOriginals = [];
  const globals = globalThis as unknown as Record<string, unknown>;
  const fetch = globals.fetch as AnyFn;
  fetchOriginals.push([globals, 'fetch', fetch]);
  // Response.prototype is a lazy getter that loads undici (15-40 ms of every start-up
  // in patch mode): its body readers are wrapped at the first fetch(), before any
  // Response from the network exists.
  globals.fetch = untracked(standIn(fetch, function (this: unknown, ...args: unknown[]): unknown {
    if (fetchOriginals !== null && !readersWrapped) {
      readersWrapped = true;
      const target = Response.prototype as unknown as Record<string, unknown>;
      for (const key of BODY_READERS) {
        const value = target[key];
        if (typeof value !== 'function') continue;
        fetchOriginals.push([target, key, value as AnyFn]);
        target[key] = untracked(value as AnyFn);
      }
    }
    return Reflect.apply(fetch, this, args);
  }));
}
let readersWrapped = false;

export function uninstallFetchScope(): void {
  if (fetchOriginals === null) return;
  for (const [target, key, value] of fetchOriginals) target[key] = value;
  fetchOriginals = null;
  readersWrapped = false;
}

// --- Timers and ticks --------------------------------------------------------------

type TimerFn = (callback: AnyFn, ...rest: unknown[]) => unknown;
let timerOriginals: { setTimeout: TimerFn; setInterval: TimerFn; setImmediate: TimerFn; nextTick: TimerFn } | null = null;

function timerWrapper(original: TimerFn, coalesce: boolean): TimerFn {
  return standIn(original, function (this: unknown, callback: AnyFn, ...rest: unknown[]): unknown {
    if (hub.current !== null && typeof callback === 'function') callback = continueInFiber(callback, coalesce);
    return Reflect.apply(original, this, [callback, ...rest]);
  });
}

/** The replacements for node:timers' exports (and the globals, set by installTimerContinuations). */
export function timerContinuations(): Record<string, unknown> {
  const g = globalThis as unknown as Record<string, TimerFn>;
  timerOriginals ??= { setTimeout: g.setTimeout!, setInterval: g.setInterval!, setImmediate: g.setImmediate!, nextTick: process.nextTick as TimerFn };
  return {
    setTimeout: timerWrapper(timerOriginals.setTimeout, false),
    setInterval: timerWrapper(timerOriginals.setInterval, true),
    setImmediate: timerWrapper(timerOriginals.setImmediate, false),
  };
}

// process.nextTick keeps run to completion but stays on the hub: node's own stream
// code schedules a tick on nearly every write, and a fiber per tick would cost more
// than it could give. A tick a fiber sets while it is not parked runs as usual.
function tickWrapper(original: TimerFn): TimerFn {
  return function nextTick(this: unknown, callback: AnyFn, ...rest: unknown[]): unknown {
    const owner = hub.current;
    if (owner !== null && hub.untracked === 0 && typeof callback === 'function') {
      const fn = callback;
      callback = function (this: unknown, ...args: unknown[]): unknown {
        if (parkedImplicitly(owner)) {
          stats.held++;
          hub.hold(owner, () => void Reflect.apply(fn, this, args));
          return undefined;
        }
        return Reflect.apply(fn, this, args);
      };
    }
    return Reflect.apply(original, this, [callback, ...rest]);
  };
}

/** Patch mode for timers: the globals and process.nextTick follow node:timers' patched exports. */
export function installTimerContinuations(patched: Record<string, unknown>): void {
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of ['setTimeout', 'setInterval', 'setImmediate']) g[name] = patched[name];
  process.nextTick = tickWrapper(timerOriginals!.nextTick) as typeof process.nextTick;
}

export function uninstallTimerContinuations(): void {
  if (timerOriginals === null) return;
  const g = globalThis as unknown as Record<string, unknown>;
  g.setTimeout = timerOriginals.setTimeout;
  g.setInterval = timerOriginals.setInterval;
  g.setImmediate = timerOriginals.setImmediate;
  process.nextTick = timerOriginals.nextTick as typeof process.nextTick;
}
