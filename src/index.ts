// index.ts: the public API of greenstack.
export {
  AsyncScopeError,
  BindingError,
  BlockingInHubError,
  CarrierLimitError,
  ConcurrentUseError,
  FiberExit,
  GreenstackError,
  IncompatibleCopyError,
  InvalidSwitchError,
  TimeoutError,
} from './core/errors.js';
// greenstack/fibers and greenstack/future throw these.
export { FiberZombieError, FutureNotReadyError, FutureResolvedError } from './core/errors.js';
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
} from './core/fiber.js';
export { configure, runtimeStats, type RuntimeOptions, type RuntimeStats } from './core/runtime.js';
// Observability: fiber dump, dump signal (tracing channels are listed in core/trace.ts).
export { dumpFibers, formatFibers, setDumpSignal, type BlockedOn, type FiberInfo } from './core/observe.js';
// configure({ backend }) throws it while fibers are alive.
export { BackendInUseError } from './core/errors.js';
export type { BackendName } from './core/backend.js';
export { Timeout, withTimeout, type WithTimeoutOptions } from './core/timeout.js';
export { sleep, wait } from './core/wait.js';
export { Waiter, type BlockOptions } from './core/waiter.js';
// Cooperative toolkit (events, locks, queues, pools, fiber-local storage).
export {
  LockNotOwnedError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  QueueTaskDoneError,
  SemaphoreOverReleaseError,
} from './core/errors.js';
export { Linkable, type Waitable } from './toolkit/linkable.js';
export { type WaitArg } from './toolkit/wait-options.js';
export { AsyncResult, Event } from './toolkit/event.js';
export { BoundedSemaphore, Semaphore, type LockHandle } from './toolkit/semaphore.js';
export { Lock, OwnedLock, RLock } from './toolkit/lock.js';
export { Condition } from './toolkit/condition.js';
export {
  JoinableQueue,
  LifoQueue,
  naturalCompare,
  PriorityQueue,
  Queue,
  type PriorityQueueOptions,
  type QueueOptions,
  type QueueStore,
} from './toolkit/queue.js';
export { Channel } from './toolkit/channel.js';
export { Group, Pool, type GroupJoinOptions, type ImapOptions } from './toolkit/pool.js';
export { iwait, iwaitAsync, waitAll, waitAllAsync, waitAny, waitAnyAsync, type IwaitOptions } from './toolkit/iwait.js';
export { FiberLocal } from './toolkit/local.js';
export {
  getOriginal,
  isAvailable,
  isPatched,
  parsePatchList,
  patchAll,
  patchableModules,
  patchChildProcess,
  patchCrypto,
  patchFs,
  patchModule,
  patchZlib,
  unpatchAll,
  unpatchModule,
  type PatchOptions,
} from './patch/patcher.js';
export type { CooperativeModule } from './io/cooperative.js';
export { LoopExit } from './core/errors.js';
// greenstack/net, tls and http (blocking sockets and servers) throw these.
export { IncompleteReadError, LineTooLongError, SocketClosedError } from './core/errors.js';
