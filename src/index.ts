// index.ts: the public API of greenstack.
export {
  AsyncScopeError,
  BindingError,
  BlockingInHubError,
  CarrierLimitError,
  ConcurrentUseError,
  FiberExit,
  GreenstackError,
  InvalidSwitchError,
  TimeoutError,
} from './errors.js';
// greenstack/fibers and greenstack/future throw these.
export { FiberZombieError, FutureNotReadyError, FutureResolvedError } from './errors.js';
export {
  current,
  Fiber,
  joinAll,
  killAll,
  spawn,
  spawnLater,
  type FiberOptions,
  type JoinAllOptions,
  type KillOptions,
  type Link,
} from './fiber.js';
export { configure, runtimeStats, type RuntimeOptions, type RuntimeStats } from './runtime.js';
export { Timeout, withTimeout, type WithTimeoutOptions } from './timeout.js';
export { sleep, wait } from './wait.js';
export { Waiter, type BlockOptions } from './waiter.js';
