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
// configure({ backend }) throws it while fibers are alive.
export { BackendInUseError } from './errors.js';
export type { BackendName } from './backend.js';
export { Timeout, withTimeout, type WithTimeoutOptions } from './timeout.js';
export { sleep, wait } from './wait.js';
export { Waiter, type BlockOptions } from './waiter.js';
// Cooperative toolkit (events, locks, queues, pools, fiber-local storage).
export {
  LockNotOwnedError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  QueueTaskDoneError,
  SemaphoreOverReleaseError,
} from './errors.js';
export { Linkable, type Waitable, type WaitArg } from './linkable.js';
export { AsyncResult, Event } from './event.js';
export { BoundedSemaphore, Semaphore, type LockHandle } from './semaphore.js';
export { Lock, OwnedLock, RLock } from './lock.js';
export { Condition } from './condition.js';
export {
  JoinableQueue,
  LifoQueue,
  naturalCompare,
  PriorityQueue,
  Queue,
  type PriorityQueueOptions,
  type QueueOptions,
  type QueueStore,
} from './queue.js';
export { Channel } from './channel.js';
export { Group, Pool, type GroupJoinOptions, type ImapOptions } from './pool.js';
export { iwait, iwaitAsync, waitAll, waitAllAsync, waitAny, waitAnyAsync, type IwaitOptions } from './iwait.js';
export { FiberLocal } from './local.js';
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
} from './patcher.js';
export type { CooperativeModule } from './cooperative.js';
export { LoopExit } from './errors.js';
// greenstack/net, tls and http (blocking sockets and servers) throw these.
export { IncompleteReadError, LineTooLongError, SocketClosedError } from './errors.js';
