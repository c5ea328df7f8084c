// backend.ts: picks the fiber backend (carrier threads, or the fast user-space switch after its self-check) and reports why.
import { performance } from 'node:perf_hooks';
import { debuglog } from 'node:util';
import { InvalidArgValueError } from './errors.js';
import { buildFingerprint } from './fingerprint.js';
import { binding, gcPauses, sharedState, type FiberHandle } from './native.js';
import { TESTED_BUILDS } from './tested-builds.js';

/**
 * `carrier`: one OS thread per fiber. `fast`: user-space stack switching on the hub's
 * thread, after its self-check. `auto` (the default): fast where the self-check passes
 * on a Node build greenstack's CI ran its whole suite on, carrier everywhere else.
 */
export type BackendName = 'carrier' | 'fast' | 'auto';

export interface BackendStatus {
  /** What was asked for (configure({ backend }), else GREENSTACK_BACKEND, else 'auto'). */
  requested: BackendName;
  /** What fibers run on. */
  active: 'carrier' | 'fast';
  /** Why `fast` was requested (or `auto` chose it) but is not active ('' otherwise). */
  reason: string;
  /** One sentence: which backend runs and why. */
  why: string;
  /** This Node build's fingerprint (what TESTED_BUILDS lists). */
  fingerprint: string;
  /** The TLS layout the fast backend's discovery found (when it ran). */
  details: string;
  /** Time the fast backend's self-check took, in ms (0 when it did not run). */
  checkMs: number;
}

const NAMES: readonly BackendName[] = ['carrier', 'fast', 'auto'];
const debug = debuglog('greenstack');
const MIN_STACK = binding.limits.minStackSize;

// Shared with every other copy of greenstack in this isolate (native.ts).
const sel = sharedState('backend', () => ({ requested: backendFromEnv(), status: null as BackendStatus | null }));

function backendFromEnv(): BackendName {
  const v = process.env.GREENSTACK_BACKEND;
  if (v === undefined || v === '') return 'auto';
  if ((NAMES as readonly string[]).includes(v)) return v as BackendName;
  process.emitWarning(`GREENSTACK_BACKEND=${v} is not one of ${NAMES.join(', ')}; using auto`, {
    code: 'GREENSTACK_BAD_BACKEND',
  });
  return 'auto';
}

/** Validates a configure({ backend }) value. */
export function validateBackend(value: unknown): BackendName {
  if (typeof value !== 'string' || !(NAMES as readonly string[]).includes(value)) {
    throw new InvalidArgValueError('options.backend', `must be one of ${NAMES.map((n) => `'${n}'`).join(', ')}`, value);
  }
  return value as BackendName;
}

/**
 * Switches to the wanted backend at once (running the fast self-check if needed),
 * which is only possible while no fiber is alive (BackendInUseError otherwise).
 */
export function requestBackend(name: BackendName): BackendStatus {
  const previous = sel.requested;
  sel.requested = name;
  try {
    return selectBackend();
  } catch (error) {
    sel.requested = previous;
    throw error;
  }
}

/** Which backend runs and why, if it has been chosen (the first fiber chooses). */
export function backendWhy(): string {
  return sel.status?.why ?? 'not chosen yet: the first fiber chooses it';
}

/** The backend now in use, selecting it first if no fiber has started yet. */
export function backendStatus(): BackendStatus {
  return sel.status ?? selectBackend();
}

let fingerprint: string | undefined;

/** Makes the requested backend the active one; runs the fast self-check when fast is wanted. */
export function selectBackend(): BackendStatus {
  fingerprint ??= buildFingerprint();
  const requested = sel.requested;
  const tested = TESTED_BUILDS.includes(fingerprint);
  const want = requested === 'fast' || (requested === 'auto' && tested) ? 'fast' : 'carrier';
  if (sel.status !== null && sel.status.requested === requested && (sel.status.active === want || sel.status.reason !== '')) {
    return sel.status;
  }
  const base = { requested, details: '', checkMs: 0, fingerprint };
  if (want === 'carrier') {
    if (activeBackend() !== 'carrier') setNative('carrier');
    const reason = requested === 'auto' ? "this Node build is not one greenstack's CI ran its suite on (see fingerprint)" : '';
    const why = reason === '' ? 'carrier: requested' : `auto chose carrier: ${reason}`;
    sel.status = { ...base, active: 'carrier', reason, why };
    return sel.status;
  }
  const how = requested === 'auto' ? 'auto chose' : 'requested';
  if (typeof binding.setBackend !== 'function') {
    // A prebuilt or stale addon from before the fast backend existed.
    const reason = 'this build of the native addon has no fast backend (rebuild it)';
    debug('backend: fast is unavailable, using carrier threads: %s', reason);
    sel.status = { ...base, active: 'carrier', reason, why: `fast ${how}, carrier in use: ${reason}` };
    return sel.status;
  }
  const t0 = performance.now();
  const forced = process.env.GREENSTACK_TEST_FAST_FAIL;
  let reason = setNative('fast', forced === 'discovery');
  const details = binding.backendInfo()[1];
  if (reason === '') {
    reason = selfCheck(forced === 'selfcheck');
    if (reason !== '') setNative('carrier');
  }
  const checkMs = performance.now() - t0;
  if (reason === '') {
    debug('backend: fast (self-check passed in %s ms; %s)', checkMs.toFixed(1), details);
    const why = requested === 'auto' ? 'auto chose fast: a tested Node build, and the self-check passed' : 'fast: requested, and the self-check passed';
    sel.status = { ...base, active: 'fast', reason: '', why, details, checkMs };
  } else {
    debug('backend: fast is unavailable, using carrier threads: %s', reason);
    sel.status = { ...base, active: 'carrier', reason, why: `fast ${how}, carrier in use: ${reason}`, details, checkMs };
  }
  return sel.status;
}

/** What the native side runs fibers on now. */
export function activeBackend(): 'carrier' | 'fast' {
  return typeof binding.backendInfo === 'function' && binding.backendInfo()[0] === 'fast' ? 'fast' : 'carrier';
}

// Throws BackendInUseError while fibers are alive.
function setNative(name: 'carrier' | 'fast', forceFailure = false): string {
  return binding.setBackend(name, probe, forceFailure);
}

// Runs on the discovery's helper threads, under V8's lock, as a fiber body would:
// allocation, closures, JSON, a regexp, an exception and a stack trace, so V8
// sets up whatever it keeps per thread. Must return true.
function probe(): boolean {
  const items: Array<{ i: number; s: string }> = [];
  for (let i = 0; i < 2000; i++) items.push({ i, s: `item-${i}` });
  const text = JSON.stringify(items.slice(0, 50));
  const back = JSON.parse(text) as Array<{ i: number }>;
  let caught = false;
  try {
    throw new Error('probe');
  } catch (e) {
    caught = typeof (e as Error).stack === 'string';
  }
  return back.length === 50 && /item-(\d+)/.exec(text)?.[1] === '0' && caught;
}

// Makes short-lived garbage until the isolate has counted `pauses` GC pauses (at most
// 300,000 objects): not a fixed amount, which took 19 ms of every fast start-up.
// True when the GCs came.
function garbageUntil(pauses: number): boolean {
  let junk: unknown = null;
  for (let i = 0; i < 300_000; i++) {
    if ((i & 1023) === 0 && gcPauses() >= pauses) return true;
    junk = { i, next: junk && i % 64 !== 0 ? junk : null };
  }
  return gcPauses() >= pauses;
}

class CheckFailed extends Error {}

function must(ok: boolean, what: string): void {
  if (!ok) throw new CheckFailed(what);
}

/**
 * Proves the fast backend on this process before any user fiber runs: switch round
 * trips that carry values both ways, each on the fiber's own thread image; a full GC
 * (and scavenges) while fibers hold objects only their suspended stacks reference,
 * and one GC run on a fiber's stack; WeakRefs held by suspended stacks surviving
 * while unreferenced ones are cleared; deep recursion ending in a RangeError, after
 * which the fiber still runs; errors thrown into and out of fibers. '' or the reason.
 */
function selfCheck(forceFailure: boolean): string {
  const handles: FiberHandle[] = [];
  const started = new Set<FiberHandle>();
  const done = new Set<FiberHandle>();
  const resume = (h: FiberHandle, value?: unknown, throws = false): boolean => {
    started.add(h);
    const finished = binding.resume(h, value, throws);
    if (finished) done.add(h);
    return finished;
  };
  const spawn = (fn: () => void, stackSize = MIN_STACK): FiberHandle => {
    const h = binding.newFiber(fn, stackSize);
    handles.push(h);
    return h;
  };
  try {
    // 1. Round trips.
    let problem = '';
    const echo = spawn(() => {
      problem = binding.fastCheck();
      for (let i = 0; i < 100 && problem === ''; i++) {
        if (binding.suspend() !== i) problem = 'a resumed fiber got the wrong value';
        else problem = binding.fastCheck();
      }
    });
    const suspended = !resume(echo);
    must(problem === '', problem);
    must(suspended, 'a fiber did not suspend');
    for (let i = 0; i < 100 && !done.has(echo); i++) resume(echo, i);
    must(problem === '', problem);
    must(done.has(echo), 'a fiber did not finish after its round trips');

    // 2. Stack-only objects across GCs.
    const count = 16;
    const held: Array<WeakRef<object> | undefined> = new Array(count);
    const corrupted: number[] = [];
    let innerGc = '';
    const hold = (k: number, depth: number): number => {
      if (depth > 0) return hold(k, depth - 1) + 1;
      const obj = { k, list: [k, k + 1, k + 2], text: `fiber-${k}` };
      held[k] = new WeakRef(obj);
      binding.suspend();
      if (k === 0) {
        // A GC while a fiber runs, which walks the fiber's own stack: a scavenge that
        // garbage brings on (a full GC here cost another 15-25 ms of start-up).
        if (!garbageUntil(gcPauses() + 1)) binding.collectGarbage();
        innerGc = binding.fastCheck();
      }
      if (obj.k !== k || obj.list[2] !== k + 2 || obj.text !== `fiber-${k}`) corrupted.push(k);
      return 0;
    };
    const holders: FiberHandle[] = [];
    for (let k = 0; k < count; k++) holders.push(spawn(() => void hold(k, k % 6), k % 2 === 0 ? MIN_STACK : binding.limits.defaultStackSize));
    for (const h of holders) must(!resume(h), 'a fiber did not suspend');
    const control: Array<WeakRef<object>> = [];
    for (let i = 0; i < 64; i++) control.push(new WeakRef({ garbage: i }));
    // Two GCs (each moves young objects the suspended stacks hold).
    garbageUntil(gcPauses() + 2);
    binding.collectGarbage();
    const unreferenced = (): number => control.filter((w) => w.deref() === undefined).length;
    // A GC that only finished an incremental marking already under way keeps what was
    // allocated or read (deref) during it: then V8's rounds until nothing more is freed.
    if (unreferenced() < control.length - 4) binding.collectGarbage(true);
    const alive = held.filter((w) => w?.deref() !== undefined).length;
    must(alive === count, `only ${alive} of ${count} objects held by suspended stacks survived a GC`);
    // (A stale register of this very frame may keep the last one or two alive.)
    const cleared = unreferenced();
    must(cleared >= control.length - 4, `a full GC cleared only ${cleared} of ${control.length} unreferenced WeakRefs, so it proves nothing`);
    for (const h of holders) must(resume(h), 'a fiber did not finish');
    must(corrupted.length === 0, `objects on suspended stacks were corrupted by a GC (fibers ${corrupted.join(', ')})`);
    must(innerGc === '', innerGc || 'a GC on a fiber');

    // 3. Deep recursion ends in a RangeError on small and default stacks, then the fiber goes on.
    for (const size of [MIN_STACK, binding.limits.defaultStackSize]) {
      let outcome = 'no error';
      let depth = 0;
      const deep = (n: number): number => {
        depth = n;
        return deep(n + 1) + 1;
      };
      const h = spawn(() => {
        try {
          deep(0);
        } catch (e) {
          outcome = e instanceof RangeError ? 'RangeError' : String(e);
        }
        binding.suspend();
        outcome += JSON.stringify({ after: [1, 2, 3] }).length > 0 ? '+ran' : '';
      }, size);
      must(!resume(h), 'a fiber did not suspend after deep recursion');
      must(resume(h), 'a fiber did not finish after deep recursion');
      must(outcome === 'RangeError+ran', `deep recursion on a ${size >> 10} KiB stack: ${outcome} at depth ${depth}`);
    }

    // 4. Errors thrown into a fiber and out of one.
    const marker = new Error('into');
    let got: unknown = null;
    const catcher = spawn(() => {
      try {
        binding.suspend();
      } catch (e) {
        got = e;
      }
    });
    resume(catcher);
    must(resume(catcher, marker, true) && got === marker, 'an error thrown into a fiber was not delivered');
    const thrower = spawn(() => {
      throw marker;
    });
    let out: unknown = null;
    try {
      resume(thrower);
    } catch (e) {
      out = e;
    }
    done.add(thrower);
    must(out === marker, 'an error thrown by a fiber did not reach the hub');
    must(!forceFailure, 'self-check failure forced by GREENSTACK_TEST_FAST_FAIL (tests only)');
    return '';
  } catch (error) {
    return error instanceof CheckFailed ? error.message : `the self-check threw: ${String((error as Error)?.stack ?? error)}`;
  } finally {
    // Unwind whatever a failed step left suspended, so the backend can change back.
    for (const h of handles) {
      if (!started.has(h)) binding.discard(h);
      else for (let i = 0; i < 1000 && !done.has(h); i++) {
        try {
          resume(h, new CheckFailed('unwind'), true);
        } catch {
          done.add(h);
        }
      }
    }
  }
}
