// hub.ts: the only scheduler: the ready queue, hub callbacks, and the one switch into and out of fibers.
import { AsyncLocalStorage, AsyncResource, executionAsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { AsyncScopeError, BlockingInHubError, InvalidSwitchError } from './errors.js';
import { binding, type FiberHandle } from './native.js';

const NONE = 0;
const VALUE = 1;
const THROW = 2;
const NO_DEFERRED: unique symbol = Symbol('none');
// Longest a hub turn runs fibers before it lets the event loop poll IO.
const SLICE_MS = 2;
// How many fibers a hub turn runs between two looks at the clock.
const CHUNK = 32;

type AsyncScopeRunner = <R>(fn: () => R) => R;

/**
 * What the hub needs of a fiber. Fiber extends it; nothing else does.
 * @internal
 */
export abstract class Switchable {
  /** @internal */ _handle: FiberHandle | null = null;
  /** @internal */ readonly _resource = new AsyncResource('greenstack.Fiber', { requireManualDestroy: true });
  /** @internal pending resume: NONE, VALUE or THROW */ _mode = NONE;
  /** @internal */ _value: unknown = undefined;
  /** @internal a Timeout/abort that lost the race to a wake-up, thrown at the next switch */
  _deferred: unknown = NO_DEFERRED;
  /** @internal AsyncContextFrame builds: the context the fiber had when it switched out */
  _context: AsyncScopeRunner | undefined = undefined;
  /** @internal the async scope the hub resumed it in (the snapshot's, on context-frame builds) */
  _scope: object | undefined = undefined;
}

// Node 24 keeps AsyncLocalStorage state in an isolate-wide frame that
// runInAsyncScope() resets to the resource's creation frame; older Nodes store it
// on the execution resource. Probe which one this Node does.
function usesContextFrames(): boolean {
  const als = new AsyncLocalStorage<number>();
  const resource = new AsyncResource('greenstack.probe');
  resource.runInAsyncScope(() => als.enterWith(1));
  return resource.runInAsyncScope(() => als.getStore()) !== 1;
}

export class Hub {
  /** The fiber running now; null on the hub. */
  current: Switchable | null = null;

  private readonly fibers: Array<Switchable | undefined> = [];
  private fibersHead = 0;
  private callbacks: Array<() => void> = [];
  private armed = false;
  /** The fiber the switching-out fiber asked to run before it (switchOutVia). */
  private via: Switchable | null = null;
  private readonly contextFrames = usesContextFrames();

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
    if (f === this.current || f._mode !== NONE || f._handle === null) return;
    f._mode = VALUE;
    this.enqueue(f);
  }

  /**
   * Throws err into a suspended fiber at its blocking point. force (kill) replaces
   * a pending wake-up; otherwise (Timeout, abort) the wake-up wins and err is thrown
   * at the fiber's next switch instead.
   */
  throwInto(f: Switchable, err: unknown, force: boolean): void {
    if (f._handle === null) return;
    if (f === this.current) {
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

  /** Puts the running fiber at the back of the ready queue (sleep(0)). */
  rescheduleCurrent(): void {
    const f = this.current!;
    f._mode = VALUE;
    this.enqueue(f);
  }

  /**
   * Suspends the running fiber until the hub resumes it. Returns normally for a
   * wake-up and throws what throwInto delivered. Every blocking primitive reaches
   * this through Waiter.get().
   */
  switchOut(what: string): void {
    const f = this.current;
    if (f === null) throw new BlockingInHubError(what);
    if (f._deferred !== NO_DEFERRED) {
      const err = f._deferred;
      f._deferred = NO_DEFERRED;
      throw err;
    }
    if (executionAsyncResource() !== f._scope) throw new AsyncScopeError();
    if (this.contextFrames) f._context = AsyncLocalStorage.snapshot();
    binding.suspend();
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
    const deadline = performance.now() + SLICE_MS;
    try {
      do {
        if (this.callbacks.length > 0) {
          const callbacks = this.callbacks;
          this.callbacks = [];
          for (const cb of callbacks) cb();
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
    this.current = f;
    const throws = mode === THROW;
    try {
      const context = f._context;
      let done: boolean;
      if (context === undefined) {
        done = f._resource.runInAsyncScope(resumeInScope, null, f, throws, value);
      } else {
        f._context = undefined;
        done = f._resource.runInAsyncScope(() => context(() => resumeInScope(f, throws, value)));
      }
      if (done) f._handle = null;
    } finally {
      this.current = null;
    }
  }
}

// Runs inside the fiber's async scope: records that scope (switchOut checks the
// fiber blocks in the same one) and switches into the fiber.
function resumeInScope(f: Switchable, throws: boolean, value: unknown): boolean {
  f._scope = executionAsyncResource();
  return binding.resume(f._handle!, throws ? value : undefined, throws);
}

/** The hub of this thread (each worker thread loads its own copy of this module). */
export const hub = new Hub();
