// atomic.ts: patch mode keeps atomic what plain node runs atomically: a module's load (with a per-module lock across fibers) and stack-trace formatting.
//
// A patched *Sync call inside require() or Error.prepareStackTrace runs node's own
// sync function (fiber._noPark, read by cooperative.inFiber()), so those never
// yield implicitly. A module whose top level blocks explicitly (sleep(), wait())
// still yields: another fiber that requires it meanwhile waits until the load has
// finished, as under Python's per-module import lock, instead of getting the
// half-built exports. Two fibers that would wait for each other's modules (A loads
// x, which requires y, while B loads y, which requires x) do not wait: the second
// one gets node's partial exports, as a circular require in one fiber does.
import Module = require('node:module');
import { hub, type Switchable } from '../core/hub.js';
import { Waiter } from '../core/waiter.js';

interface ModuleInternals {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
  _cache: Record<string, object | undefined>;
  prototype: { load(this: object, filename: string): void };
}

const M = Module as unknown as ModuleInternals;

let installed = false;
let mainFiber: Switchable | null = null;
let mainStarted = false;

/**
 * The CLI: loads the program's main module in the calling (main) fiber with fn. The
 * main module's own top level may park on implicit calls; the modules it requires
 * load atomically, as every module does.
 */
export function loadMainModule<T>(fn: () => T): T {
  mainFiber = hub.current;
  mainStarted = false;
  try {
    return fn();
  } finally {
    mainFiber = null;
  }
}
let originalLoad: ModuleInternals['_load'];
let originalProtoLoad: ModuleInternals['prototype']['load'];
let prepareDescriptor: PropertyDescriptor | undefined;

/** The module each fiber is loading (innermost last), while it loads. */
const loading = new Map<Switchable, object[]>();
/** Who loads a module now. */
const loaderOf = new Map<object, Switchable>();
/** Fibers waiting for a module another fiber loads, and what each waits for. */
const waitingFor = new Map<Switchable, object>();
const waiters = new Map<object, Array<Waiter<void>>>();

function patchedLoad(this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
  const f = hub.current;
  if (f === null) return originalLoad.call(this, request, parent, isMain);
  if (mainFiber === f && !mainStarted) {
    // The CLI's main module: its top level is the program, which blocks as it likes.
    mainStarted = true;
    return originalLoad.call(this, request, parent, isMain);
  }
  // Only when another fiber is inside a load (it blocked explicitly there) can the
  // cache hold a module that is half-built for us: resolve and look.
  if (loaderOf.size > 0 && !(loading.size === 1 && loading.has(f))) awaitLoad(f, request, parent, isMain);
  f._noPark++;
  try {
    return originalLoad.call(this, request, parent, isMain);
  } finally {
    f._noPark--;
  }
}

function awaitLoad(f: Switchable, request: string, parent: unknown, isMain: boolean): void {
  let filename: string;
  try {
    f._noPark++;
    try {
      filename = M._resolveFilename(request, parent, isMain);
    } finally {
      f._noPark--;
    }
  } catch {
    return; // node's own _load reports it
  }
  const mod = M._cache[filename];
  if (mod === undefined) return;
  const loader = loaderOf.get(mod);
  if (loader === undefined || loader === f || wouldDeadlock(f, loader)) return;
  const w = new Waiter<void>(`require('${request}')`);
  let list = waiters.get(mod);
  if (list === undefined) waiters.set(mod, (list = []));
  list.push(w);
  waitingFor.set(f, mod);
  try {
    w.get(undefined, `require('${request}')`);
  } finally {
    waitingFor.delete(f);
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
  }
}

// Waiting for `loader` deadlocks if loader (or whoever it waits for, and so on)
// waits for a module that f is loading.
function wouldDeadlock(f: Switchable, loader: Switchable): boolean {
  const seen = new Set<Switchable>();
  for (let g: Switchable | undefined = loader; g !== undefined && !seen.has(g); ) {
    if (g === f) return true;
    seen.add(g);
    const mod = waitingFor.get(g);
    g = mod === undefined ? undefined : loaderOf.get(mod);
  }
  return false;
}

function patchedProtoLoad(this: object, filename: string): void {
  const f = hub.current;
  if (f === null) return originalProtoLoad.call(this, filename);
  let stack = loading.get(f);
  if (stack === undefined) loading.set(f, (stack = []));
  stack.push(this);
  loaderOf.set(this, f);
  try {
    return originalProtoLoad.call(this, filename);
  } finally {
    stack.pop();
    if (stack.length === 0) loading.delete(f);
    loaderOf.delete(this);
    const list = waiters.get(this);
    if (list !== undefined) {
      waiters.delete(this);
      for (const w of list) w.switch(undefined);
    }
  }
}

// Error.prepareStackTrace: node reads it on every stack trace it formats, so an
// accessor sees the user's function and hands back a guarded one (the same one
// each time; setting it back unwraps it).
let userPrepare: unknown;
const guardedOf = new WeakMap<object, unknown>();
const userOf = new WeakMap<object, unknown>();

function guarded(fn: unknown): unknown {
  if (typeof fn !== 'function') return fn;
  let g = guardedOf.get(fn);
  if (g === undefined) {
    g = function prepareStackTrace(this: unknown, ...args: unknown[]): unknown {
      const f = hub.current;
      if (f === null) return Reflect.apply(fn, this, args);
      f._noPark++;
      try {
        return Reflect.apply(fn, this, args);
      } finally {
        f._noPark--;
      }
    };
    guardedOf.set(fn, g);
    userOf.set(g as object, fn);
  }
  return g;
}

/** Installs the guards (idempotent): called when patch mode patches its first module. */
export function installAtomicGuards(): void {
  if (installed) return;
  installed = true;
  originalLoad = M._load;
  originalProtoLoad = M.prototype.load;
  M._load = patchedLoad;
  M.prototype.load = patchedProtoLoad;
  prepareDescriptor = Object.getOwnPropertyDescriptor(Error, 'prepareStackTrace');
  userPrepare = (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
  Object.defineProperty(Error, 'prepareStackTrace', {
    configurable: true,
    enumerable: prepareDescriptor?.enumerable ?? true,
    get: () => guarded(userPrepare),
    set: (fn: unknown) => {
      userPrepare = (typeof fn === 'function' && userOf.get(fn)) || fn;
    },
  });
}

/** Undoes installAtomicGuards() (unpatchAll). */
export function uninstallAtomicGuards(): void {
  if (!installed) return;
  installed = false;
  if (M._load === patchedLoad) M._load = originalLoad;
  if (M.prototype.load === patchedProtoLoad) M.prototype.load = originalProtoLoad;
  if (prepareDescriptor !== undefined) Object.defineProperty(Error, 'prepareStackTrace', prepareDescriptor);
  else if (userPrepare !== undefined) {
    Object.defineProperty(Error, 'prepareStackTrace', { value: userPrepare, writable: true, configurable: true, enumerable: true });
  } else delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
}
