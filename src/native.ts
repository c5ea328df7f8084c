// native.ts: loads the addon and types its surface exactly; nothing else touches it raw.
import * as path from 'node:path';
import { BindingError } from './errors.js';

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
  configure(defaultStackSize?: number, maxIdleCarriers?: number): void;
  /** Pins hub and carriers to the hub's current CPU (or undoes it); the CPU, -1, or -errno. */
  pin(on: boolean): number;
  /** Drops (false) or retakes (true) the hub thread's pin alone. */
  hubMask(pinned: boolean): number;
}

function load(): NativeBinding {
  const root = path.join(__dirname, '..');
  const tried: string[] = [];
  for (const rel of ['build/Release/greenstack.node', 'build/Debug/greenstack.node']) {
    const file = path.join(root, rel);
    try {
      return require(file) as NativeBinding;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ENOENT') {
        throw new BindingError(`greenstack: cannot load ${file}: ${(error as Error).message}`, error);
      }
      tried.push(file);
    }
  }
  throw new BindingError(
    `greenstack: no native addon for Node ${process.version} (ABI ${process.versions.modules}, ` +
      `${process.platform}-${process.arch}). Tried: ${tried.join(', ')}. Build it with ` +
      '`npm rebuild greenstack` (or `npx node-gyp rebuild` in the package folder).',
  );
}

export const binding: NativeBinding = load();
