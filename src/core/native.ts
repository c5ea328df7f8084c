// native.ts: loads the addon and types its surface exactly; nothing else touches it raw.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BackendInUseError,
  BindingError,
  BlockingInHubError,
  IncompatibleCopyError,
  CarrierLimitError,
  InvalidArgTypeError,
  InvalidArgValueError,
  InvalidSwitchError,
} from './errors.js';

/** Opaque handle of one native fiber record. */
export interface FiberHandle {
  readonly __fiberHandle: never;
}

export interface NativeBinding {
  /** Takes a carrier for `fn` (throws code ERR_GREENSTACK_CARRIER_LIMIT when none can be had). */
  newFiber(fn: () => void, stackSize?: number): FiberHandle;
  /** Hub only: runs the fiber until it suspends (false) or finishes (true). */
  resume(handle: FiberHandle, value?: unknown, throws?: boolean): boolean;
  /** Fiber only: hands control to the hub; returns (or throws) what the next resume passes. */
  suspend(): unknown;
  /** A fiber that never started gives its carrier back. */
  discard(handle: FiberHandle): void;
  /** [carriers alive, carriers idle, fibers suspended, fiber records]. */
  stats(): [number, number, number, number];
  /** Lowering maxIdleCarriers frees the idle carriers (or stacks) beyond it at once. */
  configure(defaultStackSize?: number, maxIdleCarriers?: number): void;
  /** Frees idle carriers (or coroutine stacks) beyond `keep`, least recently used first; how many. */
  trimIdle(keep: number): number;
  /** The fewest idle carriers (or stacks) at once since the last call (so: unused all along). */
  idleLowWater(): number;
  /**
   * Pins hub and carriers to one CPU (or undoes it): the `sibling`-th CPU this process may use
   * when it is one of several sibling processes (a cluster worker), else the hub's current CPU.
   * Returns the CPU, -1, or -errno.
   */
  pin(on: boolean, sibling?: number): number;
  /** Gives threads that are not greenstack's but inherited the pin their original mask. */
  releaseForeign(): number;

  // --- backend selection (src/backend.ts) ---
  /**
   * While no fiber is alive: switch to 'carrier' or 'fast' ('fast' first runs `probe` on two
   * helper threads to learn the TLS layout). '' on success, else why fast cannot be used.
   */
  setBackend(name: 'carrier' | 'fast', probe?: () => boolean, forceFailure?: boolean): string;
  /** [active backend, the TLS layout the fast discovery found]. */
  backendInfo(): [string, string];
  /** In a fiber on the fast backend: '' when its thread image is its own, else what is wrong. */
  fastCheck(): string;
  /**
   * One full GC that also drops WeakRef targets kept for the current job; thorough:
   * V8's rounds until nothing more is freed (self-check only).
   */
  collectGarbage(thorough?: boolean): void;
  /** Sets V8's --no-wasm-code-gc (absent from an older copy's addon). */
  keepWasmCode?(): void;
  /** stat(path)'s S_IFMT bits, or -errno (absent from an older copy's addon). */
  fileType?(path: string): number;
  /**
   * The whole regular file at path, read as node's readFileSync reads it; 0 when it is
   * no regular file (or would block); -errno on failure (absent from an older addon).
   */
  readFile?(path: string): Buffer | number;

  // --- observability (src/core/observe.ts) ---
  /**
   * Sets the blocking watchdog's threshold in ms (0: off). `hub` is read (its `current`
   * fiber's id and name) when a report is printed. 0, or a libuv error code.
   */
  monitor(ms: number, hub: object): number;
  /** Blocking incidents the watchdog has reported so far. */
  monitorReports(): number;
  /** The classes native errors are instances of (registered once, at load). */
  registerErrors(classes: Record<string, new (...args: never[]) => Error>): void;
  /** Sizes defined once in native/limits.h. */
  readonly limits: NativeLimits;
  /**
   * [0]: ms this isolate has spent in GC pauses so far, [1]: how many pauses, kept by
   * V8's GC callbacks (read without a call). Absent from an older copy's addon (see attach()).
   */
  readonly gcMs?: Float64Array;
}

/** The native side's sizes (bytes) and counts. */
export interface NativeLimits {
  readonly minStackSize: number;
  readonly maxStackSize: number;
  readonly defaultStackSize: number;
  /** Native stack below V8's JS stack limit, reserved per fiber and touched lazily. */
  readonly nativeReserve: number;
  /** Idle carriers kept after a burst (configure({ maxIdleCarriers }) default). */
  readonly defaultMaxIdle: number;
  /** Idle carriers kept once the pool has been idle for a while. */
  readonly idleReserve: number;
}

const ROOT = path.join(__dirname, '..', '..');
const REBUILD_COMMAND = 'npm explore greenstack -- npm run build:native';

/** `engines.node` of our package.json when it is the simple `>=A <B` form. */
function supportedMajors(): { range: string; min: number; below: number } | null {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const range = String(pkg.engines?.node ?? '');
    const m = /^>=\s*(\d+)(?:\.\d+)*\s+<\s*(\d+)(?:\.\d+)*$/.exec(range.trim());
    return m ? { range, min: Number(m[1]), below: Number(m[2]) } : null;
  } catch {
    return null;
  }
}

/** The prebuilt addons this package carries, as "linux-x64 ABI 115, 127". */
function shippedPrebuilds(): string {
  const out: string[] = [];
  try {
    for (const target of fs.readdirSync(path.join(ROOT, 'prebuilds')).sort()) {
      const abis = fs
        .readdirSync(path.join(ROOT, 'prebuilds', target))
        .map((f) => /^greenstack\.abi(\d+)\.node$/.exec(f)?.[1])
        .filter((a): a is string => a !== undefined)
        .sort((a, b) => Number(a) - Number(b));
      if (abis.length > 0) out.push(`${target} ABI ${abis.join(', ')}`);
    }
  } catch {
    // no prebuilds/ folder (a source checkout)
  }
  return out.length > 0 ? out.join('; ') : 'none';
}

/** In a source checkout (src/ exists; the package has none): was native/ edited after file was built? */
function olderThanSources(file: string): boolean {
  try {
    if (!fs.existsSync(path.join(ROOT, 'src'))) return false;
    const built = fs.statSync(file).mtimeMs;
    const dir = path.join(ROOT, 'native');
    return fs.readdirSync(dir).some((f) => fs.statSync(path.join(dir, f)).mtimeMs > built);
  } catch {
    return false;
  }
}

function errorText(error: unknown): string {
  return String((error as Error)?.message ?? error).replace(/\s+/g, ' ');
}

// GREENSTACK_ADDON=/abs/path/greenstack.node: exactly that file and nothing else (a
// sanitizer build in its own directory, scripts/asan.sh), so a run never silently
// falls back to the normal build.
function loadOverride(file: string): NativeBinding {
  const fail = (why: string, cause?: unknown): never => {
    throw new BindingError(`greenstack: GREENSTACK_ADDON=${file}: ${why}. Unset it to use the normal lookup.`, cause);
  };
  if (!path.isAbsolute(file)) fail('not an absolute path');
  if (!file.endsWith('.node')) fail('not a .node file');
  if (!fs.existsSync(file)) fail('no such file');
  try {
    return require(file) as NativeBinding;
  } catch (error) {
    return fail(`does not load (${errorText(error)})`, error);
  }
}

// Order: a local build (development, or the install script built from source), then the
// prebuilt addon for this Node ABI. A local build for another ABI (the tree was built with
// another Node) is skipped; any other failure is reported, never a bare dlopen error.
function load(): NativeBinding {
  const override = process.env.GREENSTACK_ADDON;
  if (override !== undefined && override !== '') return loadOverride(override);
  const abi = process.versions.modules;
  const target = `${process.platform}-${process.arch}`;
  const tried: string[] = [];
  let brokenLocal: string | null = null;
  const candidates = [
    { rel: 'build/Release/greenstack.node', local: true },
    { rel: 'build/Debug/greenstack.node', local: true },
    { rel: `prebuilds/${target}/greenstack.abi${abi}.node`, local: false },
  ];
  let binding: NativeBinding | null = null;
  let loaded = '';
  for (const { rel, local } of candidates) {
    const file = path.join(ROOT, rel);
    if (!fs.existsSync(file)) {
      tried.push(`${rel} (not there)`);
      continue;
    }
    try {
      binding = require(file) as NativeBinding;
      loaded = file;
      break;
    } catch (error) {
      const text = errorText(error);
      const other = /NODE_MODULE_VERSION (\d+)\. This version/.exec(text);
      if (other) {
        tried.push(`${rel} (built for ABI ${other[1]})`);
        continue;
      }
      tried.push(`${rel} (${text})`);
      if (local && brokenLocal === null) brokenLocal = `${rel}: ${text}`;
    }
  }
  const supported = supportedMajors();
  const major = Number(process.versions.node.split('.')[0]);
  const unsupported = supported !== null && (major < supported.min || major >= supported.below);
  if (binding !== null) {
    if (brokenLocal !== null) {
      process.emitWarning(`greenstack: the local build failed to load (${brokenLocal}); using the prebuilt addon`, {
        code: 'GREENSTACK_LOCAL_BUILD_SKIPPED',
      });
    }
    if (loaded.includes(`${path.sep}prebuilds${path.sep}`) && olderThanSources(loaded)) {
      process.emitWarning(
        `greenstack: ${path.relative(ROOT, loaded)} is older than native/: run \`npm run prebuilds\``,
        { code: 'GREENSTACK_STALE_PREBUILD' },
      );
    }
    if (unsupported) {
      process.emitWarning(
        `greenstack supports Node ${supported!.range}; Node ${process.version} is untested and may crash`,
        { code: 'GREENSTACK_UNSUPPORTED_NODE' },
      );
    }
    return binding;
  }
  const lines = [
    `greenstack: no native addon loads on Node ${process.version} (ABI ${abi}, ${target}).`,
  ];
  if (unsupported) {
    lines.push(`This Node is not supported: greenstack needs Node ${supported!.range}.`);
  }
  lines.push(
    `Prebuilt addons in this package: ${shippedPrebuilds()}. Anything else is built from source ` +
      '(needs python3, make and a C++20 compiler). To fix it, either:',
    '  - approve greenstack\'s install script, so npm builds it when installing: ' +
      '`npm install-scripts approve greenstack && npm rebuild greenstack`, or',
    `  - build it now: \`${REBUILD_COMMAND}\` (in a checkout: \`npm run build:native\`).`,
    `Tried: ${tried.join('; ')}.`,
  );
  throw new BindingError(lines.join('\n'));
}

// One hub per isolate, however many copies of greenstack are loaded (npm installs
// a dependency's pinned version side by side). The first copy to load publishes its
// addon and scheduler state on the global object; a later copy with the same
// protocol uses them, so a fiber of one copy may block in another copy's calls.
// Bump PROTOCOL whenever what is shared (the binding's surface, the Hub and
// Switchable fields, the state objects) changes incompatibly.
const PROTOCOL = 2;
const COPIES = Symbol.for('greenstack.copies');
const SHARED = Symbol.for(`greenstack.hub.v${PROTOCOL}`);

interface Shared {
  readonly binding: NativeBinding;
  /** The package directory of the copy that loaded the addon. */
  readonly root: string;
  readonly state: Map<string, unknown>;
}

function attach(): Shared {
  const global = globalThis as unknown as Record<symbol, unknown>;
  const first = global[COPIES] as { protocol: number; root: string } | undefined;
  if (first !== undefined && first.protocol !== PROTOCOL) {
    throw new IncompatibleCopyError(
      `two incompatible copies of greenstack are loaded in one process: ${first.root} (protocol ${first.protocol}) ` +
        `was loaded first, then ${ROOT} (protocol ${PROTOCOL}); they cannot share one hub. ` +
        'Make every dependency use one compatible greenstack version (npm dedupe, or overrides in package.json).',
    );
  }
  const existing = global[SHARED] as Shared | undefined;
  if (existing !== undefined) return existing;
  const shared: Shared = { binding: load(), root: ROOT, state: new Map() };
  // Native code throws instances of these (as better-sqlite3 hands SqliteError to its addon).
  shared.binding.registerErrors({
    BackendInUseError,
    BlockingInHubError,
    CarrierLimitError,
    InvalidArgTypeError,
    InvalidArgValueError,
    InvalidSwitchError,
  });
  Object.defineProperty(globalThis, SHARED, { value: shared });
  Object.defineProperty(globalThis, COPIES, { value: Object.freeze({ protocol: PROTOCOL, root: ROOT }) });
  return shared;
}

const shared = attach();

export const binding: NativeBinding = shared.binding;

const gcClock = binding.gcMs ?? new Float64Array(2);

/** ms this isolate has spent in GC pauses so far (0 with an older copy's addon). */
export function gcPauseMs(): number {
  return gcClock[0]!;
}

/** GC pauses of this isolate so far (0 with an older copy's addon, or one from before the count). */
export function gcPauses(): number {
  return gcClock[1] ?? 0;
}

/**
 * State every copy of greenstack in this isolate shares (the hub, runtime settings):
 * the first copy's, made by `make` the first time `name` is asked for.
 */
export function sharedState<T>(name: string, make: () => T): T {
  if (!shared.state.has(name)) shared.state.set(name, make());
  return shared.state.get(name) as T;
}
