// observe.ts: observability: dumpFibers()/formatFibers(), the blocking watchdog's settings, the dump signal, tracing hooks.
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InvalidArgTypeError, InvalidArgValueError } from './errors.js';
import type { Fiber } from './fiber.js';
import { hub, PROBE, type HubObserver, type Switchable } from './hub.js';
import { binding } from './native.js';
import { blockChannel, startedFibers, switchChannel, switchTraced, wakeChannel } from './trace.js';
import { Waiter } from './waiter.js';

/** What a suspended fiber waits for, as dumpFibers() reports it. */
export interface BlockedOn {
  /** A coarse kind, from the blocking call's name. */
  kind: 'sleep' | 'socket' | 'child process' | 'lock' | 'queue' | 'fiber' | 'promise' | 'io' | 'waiter';
  /** The blocking call, as it names itself ('sleep()', 'Lock.acquire()', 'socket.read()', ...). */
  what: string;
  /** Milliseconds until its sleep or timeout ends (absent when it has none). */
  remainingMs?: number;
}

/** One live fiber in dumpFibers(). */
export interface FiberInfo {
  id: number;
  name: string;
  /** running: this is the fiber calling dumpFibers(); ready: will run on a coming hub turn. */
  state: 'running' | 'ready' | 'suspended' | 'dead';
  /** Id of the fiber that started it; 0 for the hub. */
  parentId: number;
  /** Where it is blocked (null when running, or ready and never suspended yet). */
  blockedOn: BlockedOn | null;
  /**
   * How long it has been suspended, in ms. Known only for suspensions that began after
   * the first dumpFibers() call or with a dump signal set (from then on each switch
   * reads the clock); null otherwise.
   */
  suspendedMs: number | null;
  /** Its JavaScript stack where it is suspended (or running), innermost frame first. */
  stack: string[];
}

// ---------------------------------------------------------------- fiber dump

const OWN_DIR = path.join(__dirname, '..');
let sinceWanted = false;
let probed: { what: string; due: number; stack: string[] } | null = null;

function captureStack(above: Function): string[] { // eslint-disable-line @typescript-eslint/ban-types
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  try {
    Error.captureStackTrace(holder, above);
    return String(holder.stack ?? '')
      .split('\n')
      .filter((line) => line.startsWith('    at '))
      .map((line) => line.slice(7));
  } catch {
    return [];
  } finally {
    Error.stackTraceLimit = limit;
  }
}

// From the names blocking calls give themselves: cooperative fs/zlib/crypto calls are
// bare names ('readFileSync'), socket and server calls end in '()' ('readSync()').
function kindOf(what: string): BlockedOn['kind'] {
  if (/^sleep\(/.test(what)) return 'sleep';
  if (/^(spawnSync|execSync|execFileSync)\b/.test(what)) return 'child process';
  if (!what.endsWith(')')) return 'io';
  if (/Lock|Semaphore|Condition|acquire/.test(what)) return 'lock';
  if (/Queue|Channel|Pool|Group/.test(what)) return 'queue';
  if (/^(Fiber\.|joinAll|Future)/.test(what)) return 'fiber';
  if (/^wait\(\)/.test(what)) return 'promise';
  if (/Sync\(\)$|^StreamServer\.|^tls\./.test(what)) return 'socket';
  return 'waiter';
}

function blockedOn(what: string, due: number): BlockedOn {
  const out: BlockedOn = { kind: kindOf(what), what };
  if (due >= 0) out.remainingMs = Math.max(0, Math.round(due - performance.now()));
  return out;
}

// Runs inside a suspended fiber that the dump resumed with PROBE: record, then the hub
// suspends it again at once (hub.switchOut), so it never notices.
function probe(_f: Switchable, what: string, waiter: unknown): void {
  const due = waiter instanceof Waiter ? waiter._due : -1;
  probed = { what, due, stack: captureStack(hub.switchOut) };
}

function describe(f: Fiber, self: Fiber | null, selfStack: string[]): FiberInfo {
  const now = performance.now();
  const phase = f._phase;
  const info: FiberInfo = {
    id: f.id,
    name: f.name,
    state: 'suspended',
    parentId: f.parentId,
    blockedOn: null,
    suspendedMs: null,
    stack: [],
  };
  if (f === self) {
    info.state = 'running';
    info.stack = selfStack;
    return info;
  }
  if (phase === 'dead') info.state = 'dead';
  else if (phase !== 'running' || f._mode !== 0) info.state = 'ready';
  if (phase === 'running' && f._handle !== null) {
    probed = null;
    try {
      binding.resume(f._handle, PROBE, false);
    } catch {
      // the fiber could not be probed (it is not suspended natively): report no stack
    }
    const p = probed as { what: string; due: number; stack: string[] } | null;
    probed = null;
    if (p !== null) {
      info.stack = p.stack;
      info.blockedOn = blockedOn(p.what, p.due);
      if (f._since >= 0) info.suspendedMs = Math.round(now - f._since);
    }
  }
  return info;
}

function collect(self: Fiber | null, selfStack: string[]): FiberInfo[] {
  sinceWanted = true;
  const list = [...startedFibers] as Fiber[];
  list.sort((a, b) => a.id - b.id);
  return list.map((f) => describe(f, self, selfStack));
}

/**
 * One record per live fiber of this thread: id, name, state, what it is blocked on, how
 * long, its parent and its JavaScript stack where it is suspended. Costs nothing until
 * called: each suspended fiber is resumed just long enough to record its stack and
 * suspends again without waking. From a fiber, the caller blocks while the hub collects.
 */
export function dumpFibers(): FiberInfo[] {
  const self = hub.current as Fiber | null;
  if (self === null) return collect(null, []);
  const stack = captureStack(dumpFibers);
  const w = new Waiter<FiberInfo[]>('dumpFibers()');
  hub.runCallback(() => {
    try {
      w.switch(collect(self, stack));
    } catch (err) {
      w.throw(err);
    }
  });
  return w.get(undefined, 'dumpFibers()');
}

function ownFrame(frame: string): boolean {
  return frame.includes(OWN_DIR + path.sep) || frame.startsWith('node:');
}

/**
 * dumpFibers() as a tree by parent, for people: each fiber with its state, what it waits
 * for and its innermost frames (greenstack's own frames left out).
 */
export function formatFibers(fibers: FiberInfo[] = dumpFibers(), options: { frames?: number } = {}): string {
  if (!Array.isArray(fibers)) throw new InvalidArgTypeError('fibers', 'an Array of dumpFibers() records', fibers);
  const frames = options.frames ?? 4;
  const byParent = new Map<number, FiberInfo[]>();
  const ids = new Set(fibers.map((f) => f.id));
  for (const f of fibers) {
    const parent = ids.has(f.parentId) ? f.parentId : 0;
    let list = byParent.get(parent);
    if (list === undefined) byParent.set(parent, (list = []));
    list.push(f);
  }
  const lines = [`greenstack: ${fibers.length} live fiber${fibers.length === 1 ? '' : 's'} (pid ${process.pid})`];
  const walk = (parent: number, indent: string): void => {
    const children = byParent.get(parent) ?? [];
    children.forEach((f, i) => {
      const last = i === children.length - 1;
      let head = `#${f.id} ${f.name}: ${f.state}`;
      if (f.blockedOn !== null) {
        head += ` in ${f.blockedOn.what}`;
        if (f.blockedOn.remainingMs !== undefined) head += ` (${f.blockedOn.remainingMs} ms left)`;
      }
      if (f.suspendedMs !== null) head += ` for ${f.suspendedMs} ms`;
      lines.push(`${indent}${last ? '└─ ' : '├─ '}${head}`);
      const inner = indent + (last ? '   ' : '│  ');
      const shown = f.stack.filter((frame) => !ownFrame(frame)).slice(0, frames);
      for (const frame of shown) lines.push(`${inner}${byParent.has(f.id) ? '│' : ' '}   at ${frame}`);
      walk(f.id, inner);
    });
  };
  walk(0, '');
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- hub hooks

let monitorMs = 0;
let dumpSignal: NodeJS.Signals | null = null;

const observer: HubObserver = {
  probe,
  switched(f, into) {
    if (switchChannel.hasSubscribers) switchChannel.publish({ fiber: f, into });
  },
  blocked(f, what) {
    if (sinceWanted) f._since = performance.now();
    if (blockChannel.hasSubscribers) blockChannel.publish({ fiber: f, what });
  },
  woken(f) {
    if (wakeChannel.hasSubscribers) wakeChannel.publish({ fiber: f });
  },
  wanted: () => sinceWanted || switchTraced(),
};
hub.observer = observer;

// ---------------------------------------------------------------- blocking watchdog

/** Validates and applies configure({ monitorBlockingMs }). */
export function setMonitorBlockingMs(ms: unknown, name = 'options.monitorBlockingMs'): void {
  if (typeof ms !== 'number') throw new InvalidArgTypeError(name, 'of type number', ms);
  if (!Number.isInteger(ms) || ms < 0 || ms > 2 ** 31 - 1) {
    throw new InvalidArgValueError(name, 'must be an integer from 0 (off) to 2147483647', ms);
  }
  monitorMs = ms;
  if (typeof binding.monitor === 'function') binding.monitor(ms, hub);
}

/** The watchdog's threshold in ms (0: off). */
export function monitorBlockingMs(): number {
  return monitorMs;
}

// ---------------------------------------------------------------- dump signal

/**
 * Prints formatFibers() on stderr whenever the process receives signal, without
 * stopping the program (null: stop doing so). GREENSTACK_DUMP_SIGNAL sets it at start.
 */
export function setDumpSignal(signal: string | null): void {
  if (signal !== null && typeof signal !== 'string') throw new InvalidArgTypeError('signal', 'of type string', signal);
  if (signal !== null && signal !== '') {
    const known = (os.constants.signals as Record<string, number | undefined>)[signal] !== undefined;
    if (!known || signal === 'SIGKILL' || signal === 'SIGSTOP') {
      throw new InvalidArgValueError('signal', 'must be a catchable signal name such as SIGUSR2', signal);
    }
  }
  if (dumpSignal !== null) process.off(dumpSignal, onDumpSignal);
  dumpSignal = null;
  if (signal === null || signal === '') return;
  process.on(signal as NodeJS.Signals, onDumpSignal);
  dumpSignal = signal as NodeJS.Signals;
  sinceWanted = true;
}

function onDumpSignal(): void {
  process.stderr.write(formatFibers());
}

/** Reads GREENSTACK_MONITOR_MS and GREENSTACK_DUMP_SIGNAL (a bad value is a warning, not a crash). */
export function observeFromEnv(): void {
  const ms = process.env.GREENSTACK_MONITOR_MS;
  if (ms !== undefined && ms !== '') {
    try {
      setMonitorBlockingMs(Number(ms), 'GREENSTACK_MONITOR_MS');
    } catch (err) {
      process.emitWarning(`GREENSTACK_MONITOR_MS=${ms} ignored: ${(err as Error).message}`, { code: 'GREENSTACK_BAD_ENV' });
    }
  }
  const signal = process.env.GREENSTACK_DUMP_SIGNAL;
  if (signal !== undefined && signal !== '') {
    try {
      setDumpSignal(signal);
    } catch (err) {
      process.emitWarning(`GREENSTACK_DUMP_SIGNAL=${signal} ignored: ${(err as Error).message}`, { code: 'GREENSTACK_BAD_ENV' });
    }
  }
}
