// errors.ts: every error greenstack throws, each with a stable `code`.

const BRAND = Symbol.for('greenstack.error');

/** Base of all greenstack errors. `code` is stable across releases. */
export class GreenstackError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }

  // instanceof works across two copies of the package (undici's trick): for a
  // subclass, a branded instance whose prototype chain has a class of the same name
  // (native code throws the first copy's classes to every copy, see native.ts).
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false;
    if (this === GreenstackError) return true;
    for (let p = Object.getPrototypeOf(value); p !== null; p = Object.getPrototypeOf(p)) {
      if (Object.prototype.hasOwnProperty.call(p, 'constructor') && p.constructor.name === this.name) return true;
    }
    return false;
  }
}
Object.defineProperty(GreenstackError.prototype, BRAND, { value: true });

/** A blocking call was made on the hub (outside any fiber). */
export class BlockingInHubError extends GreenstackError {
  constructor(what: string) {
    super(
      'ERR_GREENSTACK_BLOCKING_IN_HUB',
      `${what} blocks, and the hub (Node's main event loop) must never block. ` +
        (patchModeHint
          ? 'The program runs in patch mode, so this is most likely code after an `await` (a promise ' +
            'continuation), which runs on the hub, outside any fiber: call it before the first await, ' +
            'inside spawn(fn), or use its async twin there.'
          : 'Call it inside a fiber (spawn(fn), or run the program with `greenstack app.js`), ' +
            'or use its async twin from async code.'),
    );
  }
}

let patchModeHint = false;

/** @internal Patch mode is on: BlockingInHubError names the likely cause (code after an await). */
export function setPatchModeHint(on: boolean): void {
  patchModeHint = on;
}

/** The default reason a fiber is killed with. A fiber that ends with it counts as successful. */
export class FiberExit extends GreenstackError {
  constructor(message = 'fiber killed') {
    super('ERR_GREENSTACK_FIBER_EXIT', message);
  }
}

/** A timeout expired: thrown by Timeout into its fiber, and by every blocking call given `timeout`. */
export class TimeoutError extends GreenstackError {
  /** The Timeout that fired, when one did (undefined for a call's own `timeout` option). */
  timeout: unknown;

  constructor(ms: number, timeout?: unknown) {
    super('ERR_GREENSTACK_TIMEOUT', `timed out after ${ms} ms`);
    this.timeout = timeout;
  }
}

/** A switch that cannot be made (resuming a running fiber, switching from the wrong thread...). */
export class InvalidSwitchError extends GreenstackError {
  constructor(message: string) {
    super('ERR_GREENSTACK_INVALID_SWITCH', message);
  }
}

/** The system would not give another carrier thread (pid_max, ulimit -u, memory). */
export class CarrierLimitError extends GreenstackError {
  constructor(message: string) {
    super('ERR_GREENSTACK_CARRIER_LIMIT', message);
  }
}

/** Two fibers used an object that only one may use at a time. */
export class ConcurrentUseError extends GreenstackError {
  constructor(message: string) {
    super('ERR_GREENSTACK_CONCURRENT_USE', message);
  }
}

/** A fiber tried to switch out from inside an async_hooks scope it opened itself. */
export class AsyncScopeError extends GreenstackError {
  constructor() {
    super(
      'ERR_GREENSTACK_ASYNC_SCOPE',
      'a fiber cannot block inside AsyncResource.runInAsyncScope() (or another async_hooks scope ' +
        'it entered): leaving the scope suspended would corrupt the async hook stack. Block ' +
        'outside the scope, or use AsyncLocalStorage.run(), which works across switches.',
    );
  }
}

/** Queue.getNowait() (or get() past its timeout) found no item. */
export class QueueEmpty extends GreenstackError {
  constructor(message = 'the queue is empty') {
    super('ERR_GREENSTACK_QUEUE_EMPTY', message);
  }
}

/** Queue.putNowait() (or put() past its timeout) found no room. */
export class QueueFull extends GreenstackError {
  constructor(message = 'the queue is full') {
    super('ERR_GREENSTACK_QUEUE_FULL', message);
  }
}

/** The queue was shut down: puts fail, and gets fail once it is empty (at once if immediate). */
export class QueueShutDown extends GreenstackError {
  constructor(message = 'the queue has been shut down') {
    super('ERR_GREENSTACK_QUEUE_SHUT_DOWN', message);
  }
}

/** JoinableQueue.taskDone() was called more times than items were put. */
export class QueueTaskDoneError extends GreenstackError {
  constructor() {
    super('ERR_GREENSTACK_QUEUE_TASK_DONE', 'taskDone() called more times than items were put');
  }
}

/** A lock was released (or a Condition used) by a fiber that does not hold it, or it was not held. */
export class LockNotOwnedError extends GreenstackError {
  constructor(message: string) {
    super('ERR_GREENSTACK_LOCK_NOT_OWNED', message);
  }
}

/** A BoundedSemaphore was released more times than it was acquired. */
export class SemaphoreOverReleaseError extends GreenstackError {
  constructor(bound: number) {
    super('ERR_GREENSTACK_SEMAPHORE_OVER_RELEASE', `BoundedSemaphore released too many times (its bound is ${bound})`);
  }
}

/**
 * greenstack/fibers: thrown from Fiber.yield() (and every blocking call) of a fiber that
 * reset() or the garbage collector is unwinding, until the fiber returns.
 */
export class FiberZombieError extends GreenstackError {
  constructor() {
    super('ERR_GREENSTACK_FIBER_ZOMBIE', 'This Fiber is a zombie');
  }
}

/** greenstack/future: return() or throw() on a Future that is already resolved. */
export class FutureResolvedError extends GreenstackError {
  constructor() {
    super('ERR_GREENSTACK_FUTURE_RESOLVED', 'Future resolved more than once');
  }
}

/** greenstack/future: get() on a Future that has not resolved yet. */
export class FutureNotReadyError extends GreenstackError {
  constructor() {
    super('ERR_GREENSTACK_FUTURE_NOT_READY', 'Future must resolve before value is ready');
  }
}

/**
 * greenstack/net: the stream ended before readExactlySync() got its n bytes, or
 * before readUntilSync() found its delimiter. The bytes that did arrive are in
 * `partial` (they have been consumed from the socket).
 */
export class IncompleteReadError extends GreenstackError {
  /** What was wanted: a byte count, or the delimiter. */
  readonly expected: number | Buffer | string;
  /** What arrived before the end. */
  readonly partial: Buffer | string;

  constructor(expected: number | Buffer | string, partial: Buffer | string) {
    const want = typeof expected === 'number' ? `${expected} bytes` : `the delimiter ${JSON.stringify(expected.toString())}`;
    super('ERR_GREENSTACK_INCOMPLETE_READ', `the stream ended after ${partial.length} bytes, before ${want}`);
    this.expected = expected;
    this.partial = partial;
  }
}

/**
 * greenstack/net: readLineSync()/readUntilSync() found no delimiter within
 * maxLength. Nothing was consumed: the data is still readable from the socket.
 */
export class LineTooLongError extends GreenstackError {
  readonly maxLength: number;

  constructor(maxLength: number) {
    super('ERR_GREENSTACK_LINE_TOO_LONG', `no delimiter within maxLength (${maxLength} bytes)`);
    this.maxLength = maxLength;
  }
}

/**
 * greenstack/net: a blocking call on a socket that was ended or destroyed (write
 * after end, a socket closed before its data was sent), or acceptSync() on a
 * server that stopped listening.
 */
export class SocketClosedError extends GreenstackError {
  constructor(message: string) {
    super('ERR_GREENSTACK_SOCKET_CLOSED', message);
  }
}

/** The fiber backend was changed while fibers were alive (configure({ backend })). */
export class BackendInUseError extends GreenstackError {
  constructor(message = 'the backend can only change while no fiber is alive') {
    super('ERR_GREENSTACK_BACKEND_IN_USE', message);
  }
}

/**
 * Thrown into the main fiber of `greenstack app.js` when the event loop has
 * nothing left that could wake it (gevent's LoopExit): the program then exits
 * like an unsettled top-level await. `blockedIn` names the blocking call.
 */
export class LoopExit extends GreenstackError {
  /** The blocking call the fiber was in ('sleep()', 'Queue.get()'), once known. */
  blockedIn: string | undefined = undefined;

  constructor() {
    super('ERR_GREENSTACK_LOOP_EXIT', 'the event loop has nothing left that could wake this fiber');
  }

  /**
   * @internal Called by Waiter.get() in the blocked fiber as this error passes
   * through it: the stack then shows where the fiber was blocked.
   */
  _blockedAt(what: string): void {
    if (this.blockedIn !== undefined) return;
    this.blockedIn = what;
    Error.captureStackTrace(this, LoopExit.prototype._blockedAt);
  }
}

/**
 * A second copy of greenstack was loaded into an isolate that already runs an
 * incompatible one (two versions installed side by side): one hub per isolate.
 */
export class IncompatibleCopyError extends GreenstackError {
  constructor(message: string) {
    super('ERR_GREENSTACK_INCOMPATIBLE_COPY', message);
  }
}

/** The native addon could not be loaded. */
export class BindingError extends GreenstackError {
  constructor(message: string, cause?: unknown) {
    super('ERR_GREENSTACK_NO_BINDING', message, { cause });
  }
}

/** Node's own argument error shapes, so validation errors look like core's. */
export class InvalidArgTypeError extends TypeError {
  readonly code = 'ERR_INVALID_ARG_TYPE';

  constructor(name: string, expected: string, actual: unknown) {
    super(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`);
  }

  override get name(): string {
    return 'TypeError';
  }
}

export class InvalidArgValueError extends RangeError {
  readonly code = 'ERR_INVALID_ARG_VALUE';

  constructor(name: string, reason: string, actual: unknown) {
    super(`The argument '${name}' ${reason}. Received ${describe(actual)}`);
  }

  override get name(): string {
    return 'RangeError';
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  let shown = String(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === 'string') shown = `'${shown}'`;
  return `type ${typeof value} (${shown})`;
}

/** Validates a timeout/delay in milliseconds: a non-negative number (Infinity allowed). */
export function validateMs(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new InvalidArgTypeError(name, 'of type number', value);
  if (!(value >= 0)) throw new InvalidArgValueError(name, 'must be a non-negative number', value);
  return value;
}

export function validateFunction(name: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new InvalidArgTypeError(name, 'of type function', value);
}

export function validateSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || !('aborted' in value) || !('addEventListener' in value)) {
    throw new InvalidArgTypeError(name, 'an instance of AbortSignal', value);
  }
  return value as AbortSignal;
}

export function validateOptions(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw new InvalidArgTypeError(name, 'of type object', value);
  return value as Record<string, unknown>;
}
