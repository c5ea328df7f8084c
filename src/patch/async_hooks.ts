// async_hooks.ts: patch mode for node:async_hooks (the patcher's declaration): runInAsyncScope(fn) called in a fiber runs fn as a fiber inside that scope, so fn may block.
//
// A fiber cannot switch out inside an async scope it entered on its own stack (the
// async id stack is shared with the hub). Libraries enter scopes all the time
// (raw-body hands Express its parsed body through AsyncResource.runInAsyncScope;
// EventEmitterAsyncResource and AsyncResource.bind do it on every call). Here fn
// runs in a child fiber that the hub resumes inside the resource's scope, the way it
// resumes every fiber inside its own: same executionAsyncId, same
// AsyncLocalStorage stores, and fn may block. The caller waits for fn's result as
// for a sync call: its own callbacks stay held meanwhile (run to completion).
import { AsyncResource } from 'node:async_hooks';
import { Fiber } from '../core/fiber.js';
import { hub } from '../core/hub.js';
import type { CooperativeModule } from '../io/cooperative.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

const proto = AsyncResource.prototype as unknown as Record<string, AnyFn>;
let original: AnyFn | null = null;

function runInAsyncScope(this: AsyncResource, fn: AnyFn, thisArg?: unknown, ...args: unknown[]): unknown {
  const parent = hub.current;
  if (parent === null || hub.untracked > 0 || parent._noPark > 0 || typeof fn !== 'function') {
    return Reflect.apply(original!, this, [fn, thisArg, ...args]);
  }
  const child = new Fiber(() => Reflect.apply(fn, thisArg, args), { name: 'runInAsyncScope' }, this);
  child.start();
  parent._implicit++;
  try {
    // At once, as a subroutine; if fn blocks, wait for it to finish.
    hub.switchOutVia(child, 'runInAsyncScope()');
    if (!child.dead) child.join();
  } catch (err) {
    // The caller was killed or timed out: fn does not go on without it.
    child.kill(undefined, { block: false });
    throw err;
  } finally {
    parent._implicit--;
  }
  if (!child.successful) throw child.error;
  return child.value;
}

export const cooperative: CooperativeModule = {
  module: 'async_hooks',
  implements: {},
  afterPatch() {
    original ??= proto.runInAsyncScope!;
    Object.defineProperty(proto, 'runInAsyncScope', { value: runInAsyncScope, writable: true, enumerable: false, configurable: true });
  },
  beforeUnpatch() {
    Object.defineProperty(proto, 'runInAsyncScope', { value: original, writable: true, enumerable: false, configurable: true });
  },
};
