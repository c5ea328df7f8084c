// runtime.ts: process-level settings of the fiber runtime (stack size, pool, CPU pin) and its stats.
import { InvalidArgTypeError, InvalidArgValueError, validateOptions } from './errors.js';
import { binding, sharedState } from './native.js';
import { activeBackend, backendWhy, requestBackend, selectBackend, validateBackend, type BackendName } from './backend.js';
import { spawnCount } from './fiber.js';
import { guardThreadAffine } from './thread-affine.js';
import { hub } from './hub.js';
// Node's own: configure() may run in a fiber, where patch mode runs a timer's callback in a fiber.
import { clearInterval, setInterval } from './timers.js';
import { monitorBlockingMs, observeFromEnv, setMonitorBlockingMs } from './observe.js';

export interface RuntimeOptions {
  /** Default native stack size of a fiber, in bytes (default 1 MiB; min 128 KiB). */
  stackSize?: number;
  /**
   * Idle carrier threads kept for reuse after a burst (default 1024). Lowering it frees
   * the surplus at once.
   */
  maxIdleCarriers?: number;
  /**
   * Idle carriers (or fast-backend stacks) that stay unused this long, in ms, are freed
   * down to a small reserve (32, or maxIdleCarriers if lower). Default 20000.
   */
  idleCarrierTimeout?: number;
  /**
   * Pin the hub and the carriers to one CPU (default true; env GREENSTACK_PIN=0
   * turns it off). A handoff between threads on one CPU costs ~5 us instead of ~50.
   */
  pin?: boolean;
  /**
   * What fibers run on (default env GREENSTACK_BACKEND, else 'auto'): 'carrier' (an OS thread
   * per fiber), 'fast' (user-space stack switching on the hub's thread, used only if its
   * startup self-check passes; else carriers, with the reason on NODE_DEBUG=greenstack), or
   * 'auto' (fast on a Node build greenstack's CI ran its suite on, else carrier). Takes effect at once, and only while no fiber is alive
   * (BackendInUseError otherwise).
   */
  backend?: BackendName;
  /**
   * Blocking watchdog: when the event loop has not polled for this many ms, print on
   * stderr how long, which fiber (or the hub) and its JavaScript stack, once per
   * incident. 0 turns it off (the default; env GREENSTACK_MONITOR_MS). Takes effect at
   * once, at any time.
   */
  monitorBlockingMs?: number;
}

// Shared with every other copy of greenstack in this isolate (native.ts), like the hub.
const rt = sharedState('runtime', () => ({
  pinWanted: process.env.GREENSTACK_PIN !== '0' && process.env.GREENSTACK_PIN !== 'false',
  idleTimeout: 20_000,
  maxIdle: binding.limits.defaultMaxIdle,
  started: false,
  pinnedCpu: -1,
  idleTimer: undefined as NodeJS.Timeout | undefined,
  lowWaters: [] as number[],
  watchingWorkers: false,
}));

/** Changes runtime settings; pin can be turned on or off at any time. */
export function configure(options: RuntimeOptions): void {
  const opts = validateOptions('options', options);
  if (opts.stackSize !== undefined) {
    const v = opts.stackSize;
    if (typeof v !== 'number') throw new InvalidArgTypeError('options.stackSize', 'of type number', v);
    const { minStackSize, maxStackSize } = binding.limits;
    if (!Number.isInteger(v) || v < minStackSize || v > maxStackSize) {
      throw new InvalidArgValueError('options.stackSize', `must be an integer from ${minStackSize} to ${maxStackSize}`, v);
    }
  }
  if (opts.maxIdleCarriers !== undefined) {
    const v = opts.maxIdleCarriers;
    if (typeof v !== 'number') throw new InvalidArgTypeError('options.maxIdleCarriers', 'of type number', v);
    if (!Number.isInteger(v) || v < 0) {
      throw new InvalidArgValueError('options.maxIdleCarriers', 'must be a non-negative integer', v);
    }
  }
  if (opts.idleCarrierTimeout !== undefined) {
    const v = opts.idleCarrierTimeout;
    if (typeof v !== 'number') throw new InvalidArgTypeError('options.idleCarrierTimeout', 'of type number', v);
    if (!Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) {
      throw new InvalidArgValueError('options.idleCarrierTimeout', 'must be an integer from 1 to 2147483647', v);
    }
  }
  if (opts.pin !== undefined && typeof opts.pin !== 'boolean') {
    throw new InvalidArgTypeError('options.pin', 'of type boolean', opts.pin);
  }
  if (opts.monitorBlockingMs !== undefined) setMonitorBlockingMs(opts.monitorBlockingMs);
  const backend = opts.backend !== undefined ? validateBackend(opts.backend) : undefined;
  if (backend !== undefined) requestBackend(backend);
  binding.configure(opts.stackSize as number | undefined, opts.maxIdleCarriers as number | undefined);
  if (opts.maxIdleCarriers !== undefined) rt.maxIdle = opts.maxIdleCarriers as number;
  if (opts.idleCarrierTimeout !== undefined) {
    rt.idleTimeout = opts.idleCarrierTimeout as number;
    if (rt.started) watchIdle();
  }
  if (backend !== undefined && rt.started) {
    guardThreadAffine();
    applyPin();
  }
  if (opts.pin !== undefined) {
    rt.pinWanted = opts.pin;
    if (rt.started) applyPin();
  }
}

/** Called before the first fiber starts: applies the CPU pin. */
export function ensureStarted(): void {
  if (rt.started) return;
  rt.started = true;
  // V8 aborts ("archived threads in combination with wasm not supported") when it
  // collects WebAssembly code while a thread is archived, which is what a suspended
  // fiber is; undici (fetch) runs WebAssembly. Keep wasm code alive instead.
  if (binding.keepWasmCode !== undefined) binding.keepWasmCode();
  else (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--no-wasm-code-gc');
  selectBackend();
  guardThreadAffine();
  applyPin();
  watchIdle();
}

// Carriers (or stacks) that stayed idle for a whole idleTimeout are freed down to
// the reserve. A tick every quarter of it records the fewest idle at once; the
// minimum over the last four ticks went unused all along. The timer is unref'd, so
// it never keeps the process alive. (It once ran only while fewer than 32 fibers
// were alive, blamed for gc-stress.js exiting with fibers parked: that was the
// fixture's own race, test/core.exit.test.ts shows parked fibers and unref'd timers
// end as under node.)
const QUARTERS = 4;

function watchIdle(): void {
  if (rt.idleTimer !== undefined) clearInterval(rt.idleTimer);
  rt.lowWaters = [];
  binding.idleLowWater();
  rt.idleTimer = setInterval(trimIdle, Math.max(1, Math.floor(rt.idleTimeout / QUARTERS)));
  rt.idleTimer.unref();
}

function trimIdle(): void {
  rt.lowWaters.push(binding.idleLowWater());
  if (rt.lowWaters.length < QUARTERS) return;
  if (rt.lowWaters.length > QUARTERS) rt.lowWaters.shift();
  const unused = Math.min(...rt.lowWaters);
  const reserve = Math.min(binding.limits.idleReserve, rt.maxIdle);
  if (unused <= reserve) return;
  const idle = binding.stats()[1];
  binding.trimIdle(idle - (unused - reserve));
  rt.lowWaters = [];
}

function applyPin(): void {
  const rc = binding.pin(rt.pinWanted, siblingIndex());
  rt.pinnedCpu = rc >= 0 ? rc : -1;
  if (rt.pinnedCpu >= 0) keepWorkersUnpinned();
}

// Sibling processes pin to different CPUs: a cluster worker (ids count from 1 in
// the order the primary forks them) takes the (id-1)-th CPU it may use, so 2
// workers on 2 CPUs never share one. Other processes pin to the CPU they are on.
function siblingIndex(): number {
  // A cluster worker has loaded node:cluster during bootstrap; other processes need
  // not pay for loading it (~5 ms).
  const loaded = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList;
  if (loaded !== undefined && !loaded.includes('NativeModule cluster')) return -1;
  const cluster = require('node:cluster') as { isPrimary: boolean; worker?: { id: number } };
  const id = cluster.isPrimary ? undefined : cluster.worker?.id;
  return typeof id === 'number' && id >= 1 ? id - 1 : -1;
}

// A Worker's thread is created by the hub thread and inherits its pin. Node emits
// 'worker' on process just after creating one, however Worker was imported: give
// every thread that is not greenstack's but carries our pin its original mask back.
function keepWorkersUnpinned(): void {
  if (rt.watchingWorkers) return;
  rt.watchingWorkers = true;
  process.on('worker', () => {
    if (rt.pinnedCpu >= 0) binding.releaseForeign();
  });
}

/** A snapshot of this thread's fiber runtime. Counters run from the process start. */
export interface RuntimeStats {
  /** Carrier threads alive (busy + idle). */
  carriers: number;
  /** Carrier threads idle in the pool. */
  idleCarriers: number;
  /** Fibers suspended natively right now (ready ones included: they wait for their turn). */
  suspended: number;
  /** Native fiber records not yet freed. */
  records: number;
  /** CPU the hub and carriers are pinned to, or -1. */
  pinnedCpu: number;
  /** The backend fibers run on; on 'fast', carriers/idleCarriers count coroutine stacks. */
  backend: 'carrier' | 'fast';
  /** Why that backend: requested, or what `auto` found (a tested Node build, the self-check). */
  backendWhy: string;
  /** Switches into a fiber by the hub (each resume; the switch back out is not counted again). */
  switches: number;
  /** Fibers started (start(), spawn()). */
  spawns: number;
  /** Hub turns: runs of the ready queue and hub callbacks between two event-loop polls. */
  hubTurns: number;
  /**
   * Milliseconds the hub's turns kept the event loop from polling, in total: the time
   * fibers and hub callbacks ran. A fiber that computes without blocking shows here.
   */
  hubBusyMs: number;
  /** The longest single hub turn, in ms: the worst delay the hub added to IO. */
  longestHubTurnMs: number;
  /** Fibers in the ready queue now, waiting for the next hub turn. */
  readyQueue: number;
  /** The blocking watchdog's threshold in ms (configure({ monitorBlockingMs })); 0: off. */
  monitorBlockingMs: number;
  /** Blocking incidents the watchdog has reported on stderr so far. */
  blockingReports: number;
}

/** Counts of this thread's fiber runtime; every field is documented on RuntimeStats. */
export function runtimeStats(): RuntimeStats {
  const [carriers, idleCarriers, suspended, records] = binding.stats();
  return {
    carriers,
    idleCarriers,
    suspended,
    records,
    pinnedCpu: rt.pinnedCpu,
    backend: activeBackend(),
    backendWhy: backendWhy(),
    switches: hub.switches,
    spawns: spawnCount(),
    hubTurns: hub.turns,
    hubBusyMs: hub.busyMs,
    longestHubTurnMs: hub.longestTurnMs,
    readyQueue: hub.readyCount,
    monitorBlockingMs: monitorBlockingMs(),
    blockingReports: typeof binding.monitorReports === 'function' ? binding.monitorReports() : 0,
  };
}

observeFromEnv();
