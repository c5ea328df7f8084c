// hub.ts: the only scheduler: the ready queue, hub callbacks, and the one switch into and out of fibers.
import { AsyncLocalStorage, AsyncResource, executionAsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { AsyncScopeError, BlockingInHubError, InvalidSwitchError } from './errors.js';
import { binding, sharedState, type FiberHandle } from './native.js';
import { nextTick, setImmediate } from './timers.js';

const NONE = 0;
const VALUE = 1;
const THROW = 2;
// Symbol.for: fibers of another copy of greenstack run on this hub (native.ts).
const NO_DEFERRED: unique symbol = Symbol.for('greenstack.noDeferred');
// Longest a hub turn runs fibers before it lets the event loop poll IO.
const SLICE_MS = 2;
// How many fibers a hub turn runs between two looks at the clock.
const CHUNK = 32;
// How often one fiber may be resumed inside the callback that woke it, in one hub turn.
const INLINE_RESUMES = 16;

/**
 * @internal Resume value that asks a suspended fiber to record where it is and suspend
 * again at once, without waking it (dumpFibers, observe.ts). Checked once per switch.
 */
export const PROBE: unique symbol = Symbol('greenstack.probe');

/** @internal What observe.ts hooks into the hub; only called while `observing` is true or for a PROBE. */
export interface HubObserver {
  probe(f: Switchable, what: string, waiter: unknown): void;
  switched(f: Switchable, into: boolean): void;
  blocked(f: Switchable, what: string): void;
  woken(f: Switchable): void;
  /** Re-evaluated once per hub turn: whether `observing` should stay on. */
  wanted(): boolean;
}

type AsyncScopeRunner = <R>(fn: () => R) => R;
// Node's own, captured before patch mode can replace it (patch/async_hooks.ts).
const runInScope = AsyncResource.prototype.runInAsyncScope;

/**
 * What the hub needs of a fiber. Fiber extends it; nothing else does.
 * @internal
 */
export abstract class Switchable {
  /** @internal */ _handle: FiberHandle | null = null;
  /**
   * @internal the async resource the hub resumes the fiber in: its own, or one it
   * borrowed (patch mode runs a fiber's runInAsyncScope(fn) as a fiber in that scope)
   */
  readonly _resource: AsyncResource;
  /** @internal _resource was made for this fiber (it emits its destroy) */
  readonly _ownResource: boolean;

  constructor(resource?: AsyncResource) {
    this._ownResource = resource === undefined;
    this._resource = resource ?? new AsyncResource('greenstack.Fiber', { requireManualDestroy: true });
  }
  /** @internal pending resume: NONE, VALUE or THROW */ _mode = NONE;
  /** @internal */ _value: unknown = undefined;
  /** @internal a Timeout/abort that lost the race to a wake-up, thrown at the next switch */
  _deferred: unknown = NO_DEFERRED;
  /** @internal AsyncContextFrame builds: the context the fiber had when it switched out */
  _context: AsyncScopeRunner | undefined = undefined;
  /** @internal the async scope the hub resumed it in (the snapshot's, on context-frame builds) */
  _scope: object | undefined = undefined;
  /** @internal depth of implicit parks (a patched *Sync call) the fiber is in */
  _implicit = 0;
  /** @internal depth of places where a patched call must run node's own sync function (require(), prepareStackTrace) */
  _noPark = 0;
  /**
   * @internal work of this fiber's callbacks that arrived while it was parked in an
   * implicit call: released when it blocks explicitly or ends (run to completion)
   */
  _held: Array<() => void> | null = null;
  /** @internal hub.switches when it began its current run of calls in place (io/cooperative.ts) */
  _placeSwitch = -1;
  /** @internal performance.now() at the first call in place of that run */
  _placeStart = 0;
  /** @internal hub.turns when it was last resumed in the callback that woke it (resumeWoken), and how often in that turn */
  _inlineTurn = -1;
  /** @internal */ _inlineResumes = 0;
  /** @internal performance.now() when it last suspended, while the hub was observing (observe.ts) */
  _since = -1;
}

// Node 24 keeps AsyncLocalStorage state in an isolate-wide frame that
// runInAsyncScope() resets to the resource's creation frame; older Nodes store it
// on the execution resource. Probe which one this Node does.
function usesContextFrames(): boolean {
  const als = new AsyncLocalStorage<number>();
  const resource = new AsyncResource('greenstack.probe');
  resource.runInAsyncScope(() => als.enterWith(1));
  const frames = resource.runInAsyncScope(() => als.getStore()) !== 1;
  // An enabled AsyncLocalStorage keeps node's promise hooks on: every promise of the
  // process then paid for them (an await took 381 ns instead of 116 on Node 20).
  als.disable();
  return frames;
}

export class Hub {
  /** The fiber running now; null on the hub. */
  current: Switchable | null = null;
  /**
   * Above 0 while greenstack's own machinery registers listeners or callbacks from a
   * fiber: patch mode then leaves them as they are (patch/continuations.ts).
   */
  untracked = 0;
  /** @internal the fiber whose call runs on the hub's thread right now (callOnHubThread) */
  calling: Switchable | null = null;
  /** @internal the call a fiber handed to the hub's thread, run as soon as it switched out */
  hubCall: (() => void) | null = null;

  private readonly fibers: Array<Switchable | undefined> = [];
  private fibersHead = 0;
  private callbacks: Array<() => void> = [];
  private armed = false;
  /** The fiber the switching-out fiber asked to run before it (switchOutVia). */
  private via: Switchable | null = null;
  private readonly contextFrames = usesContextFrames();

  // Statistics (runtimeStats): counted per switch and per turn, never allocated.
  /** @internal */ switches = 0;
  /** @internal */ turns = 0;
  /** @internal ms the hub's turns kept the event loop from polling, in total */ busyMs = 0;
  /** @internal */ longestTurnMs = 0;
  /**
   * @internal True while observe.ts wants switch events or suspension times (a
   * diagnostics_channel subscriber, a dump signal, a dumpFibers() call so far): the one
   * check on the switch path. Re-evaluated at the start of each hub turn.
   */
  observing = false;
  /** @internal set by observe.ts when it loads */ observer: HubObserver | null = null;

  /** Fibers in the ready queue. */
  get readyCount(): number {
    let n = 0;
    for (let i = this.fibersHead; i < this.fibers.length; i++) if (this.fibers[i] !== undefined) n++;
    return n;
  }

  /** Runs fn on the hub soon (after the current fiber switches out), in FIFO order. */
  runCallback(fn: () => void): void {
    this.callbacks.push(fn);
    this.arm();
  }

  /** Schedules the first resume of a fiber whose native handle is ready. */
  start(f: Switchable): void {
    f._mode = VALUE;
    this.enqueue(f);
  }

  /**
   * Wakes a fiber parked in a Waiter. A fiber that is running right now is not
   * scheduled: it will find its Waiter settled before it suspends.
   */
  wake(f: Switchable): void {
    if (f === this.current || f === this.calling || f._mode !== NONE || f._handle === null) return;
    f._mode = VALUE;
    if (this.observing) this.observer!.woken(f);
    this.enqueue(f);
  }

  /**
   * Throws err into a suspended fiber at its blocking point. force (kill) replaces
   * a pending wake-up; otherwise (Timeout, abort) the wake-up wins and err is thrown
   * at the fiber's next switch instead.
   */
  throwInto(f: Switchable, err: unknown, force: boolean): void {
    if (f._handle === null) return;
    if (f === this.current || f === this.calling) {
      if (f._deferred === NO_DEFERRED || force) f._deferred = err;
      return;
    }
    if (f._mode === NONE) {
      f._mode = THROW;
      f._value = err;
      this.enqueue(f);
    } else if (force) {
      f._mode = THROW;
      f._value = err;
    } else if (f._deferred === NO_DEFERRED) {
      f._deferred = err;
    }
  }

  /** Withdraws a throw that throwInto deferred, if it is still pending (Timeout.cancel). */
  cancelDeferred(f: Switchable, err: unknown): void {
    if (f._deferred === err) f._deferred = NO_DEFERRED;
    else if (f._mode === THROW && f._value === err) {
      // Not yet delivered: turn it into a plain wake-up, so the fiber re-checks its waiter.
      f._mode = VALUE;
      f._value = undefined;
    }
  }

  /** Drops a fiber's pending resume (a fiber killed before it started). */
  unschedule(f: Switchable): void {
    f._mode = NONE;
    f._value = undefined;
  }

  /**
   * From the promise reaction that has just woken f (wait()): resumes f at once, inside
   * that microtask, where the code after an await would run. Without it the fiber waits
   * its turn behind every ready fiber for a value that is already there, and a hub turn
   * runs ready fibers 2 ms a loop iteration (a server's handler waiting on fetch() does
   * so twice a request). Not for socket events: resuming a reader inside 'readable'
   * measured slower than the hub turn's batch (bench echo, 0.56x vs 0.62x of node:net).
   * At most INLINE_RESUMES times per fiber per hub turn: after that f keeps its place
   * in the ready queue, so a fiber looping on settled promises cannot starve IO.
   */
  resumeWoken(f: Switchable): void {
    if (this.current !== null || this.calling !== null || f._mode === NONE) return;
    if (f._inlineTurn !== this.turns) {
      f._inlineTurn = this.turns;
      f._inlineResumes = 0;
    }
    if (++f._inlineResumes > INLINE_RESUMES) return;
    this.resume(f); // its queue entry is skipped: step() finds no pending resume
  }

  /** Puts the running fiber at the back of the ready queue (sleep(0)). */
  rescheduleCurrent(): void {
    const f = this.current!;
    f._mode = VALUE;
    this.enqueue(f);
  }

  /**
   * Suspends the running fiber until the hub resumes it. Returns normally for a
   * wake-up and throws what throwInto delivered. Every blocking primitive reaches
   * this through Waiter.get() (which passes itself as `waiter`, for dumpFibers).
   */
  switchOut(what: string, waiter?: unknown): void {
    const f = this.current;
    if (f === null) throw new BlockingInHubError(what);
    if (f._deferred !== NO_DEFERRED) {
      const err = f._deferred;
      f._deferred = NO_DEFERRED;
      throw err;
    }
    if (executionAsyncResource() !== f._scope) throw new AsyncScopeError();
    if (f._held !== null && f._implicit === 0) this.release(f);
    if (this.contextFrames) f._context = AsyncLocalStorage.snapshot();
    if (this.observing) this.observer!.blocked(f, what);
    while (binding.suspend() === PROBE) this.observer!.probe(f, what, waiter);
  }

  /**
   * Fiber only: runs fn on the hub's OS thread and returns or throws what it did, with
   * nothing else running in between (no other fiber, callback or microtask): only the
   * OS thread changes, so for the caller it is a plain synchronous call, not a yield.
   * For Node APIs that keep per-thread state, on carriers (core/thread-affine.ts).
   */
  callOnHubThread<T>(fn: () => T): T {
    const f = this.current!;
    let ok = false;
    let result: unknown;
    this.hubCall = () => {
      try {
        result = fn();
        ok = true;
      } catch (err) {
        result = err;
      }
    };
    try {
      while (binding.suspend() === PROBE) this.observer!.probe(f, 'a call on the hub thread', undefined);
    } finally {
      this.hubCall = null;
    }
    if (!ok) throw result;
    return result as T;
  }

  /**
   * @internal Runs the call f handed over (callOnHubThread) and switches back into f;
   * returns whether f then finished. Inside f's async scope, as the call would have run.
   */
  runHubCall(f: Switchable): boolean {
    const call = this.hubCall!;
    this.hubCall = null;
    this.current = null;
    this.calling = f;
    try {
      call();
    } finally {
      this.calling = null;
      this.current = f;
    }
    return binding.resume(f._handle!, undefined, false);
  }

  /**
   * Hub only: resumes f at once (its pending resume, else a plain wake-up) and returns
   * when it has switched out or finished; fibers it runs with switchOutVia run first.
   */
  resumeNow(f: Switchable): void {
    if (this.current !== null) throw new InvalidSwitchError('resumeNow() called from inside a fiber');
    if (f._mode === NONE) f._mode = VALUE;
    this.resume(f);
  }

  /**
   * Fiber only: suspends the running fiber, has the hub resume target at once (as
   * resumeNow does), then resumes this fiber as soon as target switches out or
   * finishes, before anything else runs. Returns or throws like switchOut. One fiber
   * calls another as a subroutine this way (node-fibers' run()).
   */
  switchOutVia(target: Switchable, what: string): void {
    this.via = target;
    try {
      this.switchOut(what);
    } finally {
      this.via = null;
    }
  }

  /**
   * Holds work for fiber f until it blocks explicitly or ends: what its own callbacks
   * would have done while it sat in an implicit call, where node runs no callback.
   */
  hold(f: Switchable, work: () => void): void {
    (f._held ??= []).push(work);
  }

  // The held work runs on the hub, in the order it arrived, after f has switched out.
  private release(f: Switchable): void {
    const held = f._held!;
    f._held = null;
    for (const work of held) this.callbacks.push(work);
    this.arm();
  }

  private enqueue(f: Switchable): void {
    this.fibers.push(f);
    this.arm();
  }

  private arm(): void {
    if (!this.armed) {
      this.armed = true;
      setImmediate(this.drain);
    }
  }

  // One hub turn. It runs what is ready, and what that makes ready, for at most
  // SLICE_MS, then returns to the event loop so IO is polled, and goes on next turn.
  // So a fiber looping on sleep(0) lets every other ready fiber run first and cannot
  // starve IO, while a chain of wake-ups (spawn+join, queue ping-pong) does not pay
  // a loop iteration per step. `armed` stays true while draining: no extra immediates.
  private readonly drain = (): void => {
    const start = performance.now();
    const deadline = start + SLICE_MS;
    if (this.observer !== null) this.observing = this.observer.wanted();
    try {
      do {
        if (this.callbacks.length > 0) {
          const callbacks = this.callbacks;
          this.callbacks = [];
          for (const cb of callbacks) runGuarded(cb);
        }
        // The deadline is also checked inside a batch, every CHUNK fibers: 1000 fibers
        // made ready by one burst of threadpool completions would otherwise all run
        // in one turn (~100 ms) while timers and IO wait. A small group (a fiber and
        // the one that joins it) still runs in one turn.
        const end = this.fibers.length;
        let ran = 0;
        while (this.fibersHead < end) {
          const f = this.fibers[this.fibersHead];
          this.fibers[this.fibersHead++] = undefined;
          if (f !== undefined) {
            this.resume(f);
            if (++ran % CHUNK === 0 && performance.now() >= deadline) break;
          }
        }
      } while ((this.fibersHead < this.fibers.length || this.callbacks.length > 0) && performance.now() < deadline);
    } finally {
      if (this.fibersHead === this.fibers.length) {
        this.fibers.length = 0;
        this.fibersHead = 0;
      } else if (this.fibersHead > 1024) {
        this.fibers.splice(0, this.fibersHead);
        this.fibersHead = 0;
      }
      this.armed = false;
      if (this.fibersHead < this.fibers.length || this.callbacks.length > 0) this.arm();
      const took = performance.now() - start;
      this.turns++;
      this.busyMs += took;
      if (took > this.longestTurnMs) this.longestTurnMs = took;
    }
  };

  private resume(first: Switchable): void {
    this.step(first);
    if (this.via === null) return;
    // A trampoline for switchOutVia, so chains of fibers calling fibers do not grow
    // the hub's stack: callers[] are the fibers waiting for the one after them.
    const callers: Switchable[] = [];
    let f: Switchable | undefined = first;
    while (f !== undefined) {
      const target: Switchable | null = this.via;
      this.via = null;
      if (target === null) {
        f = callers.pop();
      } else if (target === f || callers.includes(target)) {
        f._mode = THROW;
        f._value = new InvalidSwitchError('a fiber cannot run a fiber that is waiting for it');
      } else {
        callers.push(f);
        f = target;
      }
      if (f === undefined) return;
      if (f._mode === NONE) f._mode = VALUE;
      this.step(f);
    }
  }

  private step(f: Switchable): void {
    const mode = f._mode;
    const value = f._value;
    f._mode = NONE;
    f._value = undefined;
    if (mode === NONE || f._handle === null) return;
    if (this.current !== null) throw new InvalidSwitchError('the hub resumed a fiber from inside a fiber');
    this.switches++;
    const throws = mode === THROW;
    if (this.observing) this.observer!.switched(f, true);
    try {
      const context = f._context;
      let done: boolean;
      if (context === undefined) {
        done = runInScope.call(f._resource, resumeInScope, null, f, throws, value) as boolean;
      } else {
        f._context = undefined;
        done = runInScope.call(f._resource, () => context(() => resumeInScope(f, throws, value))) as boolean;
      }
      if (done) {
        f._handle = null;
        if (f._held !== null) this.release(f);
      }
    } finally {
      this.current = null;
      if (this.observing) this.observer!.switched(f, false);
    }
  }
}

// gevent's handle_error: a throwing hub callback must not drop the rest of its batch.
// Its error is reported once, as Node reports an error thrown by a timer callback
// ('uncaughtException', or the process exits), from a tick of its own.
function runGuarded(cb: () => void): void {
  try {
    cb();
  } catch (err) {
    nextTick(rethrow, err);
  }
}

function rethrow(err: unknown): never {
  throw err;
}

// Runs inside the fiber's async scope: records that scope (switchOut checks the
// fiber blocks in the same one) and switches into the fiber.
// The fiber becomes current only here, inside its scope: entering the scope is the hub's.
function resumeInScope(f: Switchable, throws: boolean, value: unknown): boolean {
  hub.current = f;
  f._scope = executionAsyncResource();
  let done = binding.resume(f._handle!, throws ? value : undefined, throws);
  while (!done && hub.hubCall !== null) done = hub.runHubCall(f);
  return done;
}

/**
 * The hub of this thread (each worker thread loads its own copy of this module), shared
 * with every other copy of greenstack loaded in it.
 */
export const hub: Hub = sharedState('hub', () => new Hub());
