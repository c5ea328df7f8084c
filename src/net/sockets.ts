// sockets.ts: blocking-style reads and writes over a socket's stream state (read()/unshift()/write()), the socket half of greenstack/net and greenstack/tls.
//
// The reader never takes data from 'data' events: it calls read(n), which returns
// buffered bytes or null, and parks the fiber until 'readable' (or the end, an
// error, close, the socket's idle timeout) while nothing is buffered. Bytes it
// looks at but does not return go back with unshift() before it parks, so a
// fiber killed or timed out mid-call leaves the stream exactly as it found it,
// and either API can read on. The 'readable' listener exists only while a fiber
// reads (it switches the stream to paused mode; removing it restores flowing if
// 'data' listeners exist): it is removed on the next tick after a read returns
// unless the fiber parked in another read by then, so between blocking reads the
// socket is a plain stream again. Don't attach 'data' listeners to a socket a
// fiber is reading with these calls: the two would race for the bytes.
import type * as net from 'node:net';
import { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { restack } from '../io/cooperative.js';
import {
  ConcurrentUseError,
  IncompleteReadError,
  InvalidArgTypeError,
  InvalidArgValueError,
  LineTooLongError,
  SocketClosedError,
  TimeoutError,
  validateMs,
  validateOptions,
  validateSignal,
} from '../core/errors.js';
import { hub, type Switchable } from '../core/hub.js';
import { Waiter } from '../core/waiter.js';
import { nextTick } from '../core/timers.js';

/** `timeout` (ms for the whole call; 0 polls: never parks) and `signal`, as every blocking call takes. */
export interface SocketBlockOptions {
  timeout?: number;
  signal?: AbortSignal;
}

export interface ReadLineOptions extends SocketBlockOptions {
  /** Longest line accepted, without its newline (default 65536; Infinity for none). */
  maxLength?: number;
  /** Return a string decoded with this encoding instead of a Buffer. */
  encoding?: BufferEncoding;
}

export interface ReadUntilOptions extends SocketBlockOptions {
  /** Most bytes before the delimiter (default 65536; Infinity for none). */
  maxLength?: number;
}

/** A socket (net.Socket, tls.TLSSocket) or any Duplex stream in byte mode. */
export type BlockingSocket = net.Socket;

type Chunk = Buffer | string;

interface ReadableState {
  ended: boolean;
  reading: boolean;
  flowing: boolean | null;
  encoding: BufferEncoding | null;
}

const DEFAULT_MAX_LINE = 65536;
const CR = 13;

const kState = Symbol('greenstack.socket');

/** Per-socket bookkeeping, created at the first blocking call. */
class SocketState {
  /** The fiber inside a read call (reads are one fiber at a time). */
  reader: Switchable | null = null;
  writer: Switchable | null = null;
  readWaiter: Waiter<void> | null = null;
  writeWaiter: Waiter<void> | null = null;
  /** greenstack made the socket: it keeps an 'error' listener for good (errors surface at the next call). */
  owned = false;
  /** Our 'readable' listener is attached (it stays between back-to-back reads, see parkOnSocket()). */
  readableAttached = false;
  detachScheduled = false;
}

type Stateful = BlockingSocket & { [kState]?: SocketState };

// Shared listeners (no closure per socket): `this` is the socket.
function wake(this: Stateful): void {
  const st = this[kState];
  if (st === undefined) return;
  st.readWaiter?.switch(undefined);
  st.writeWaiter?.switch(undefined);
}

function onSocketTimeout(this: Stateful): void {
  const st = this[kState];
  if (st === undefined) return;
  const ms = typeof this.timeout === 'number' ? this.timeout : 0;
  st.readWaiter?.throw(new TimeoutError(ms));
  st.writeWaiter?.throw(new TimeoutError(ms));
}

// greenstack's own listeners: patch mode leaves them on the hub (hub.untracked).
function listen(emitter: NodeJS.EventEmitter, event: string, listener: (...args: never[]) => void): void {
  hub.untracked++;
  try {
    emitter.on(event, listener as (...args: unknown[]) => void);
  } finally {
    hub.untracked--;
  }
}

function state(sock: Stateful): SocketState {
  let st = sock[kState];
  if (st === undefined) {
    st = new SocketState();
    sock[kState] = st;
    // None of these change how the stream behaves: they only wake a parked fiber.
    listen(sock, 'end', wake);
    listen(sock, 'close', wake);
    listen(sock, 'drain', wake);
    listen(sock, 'finish', wake);
    listen(sock, 'timeout', onSocketTimeout);
  }
  return st;
}

/**
 * Marks a socket greenstack hands out (connectSync, acceptSync, StreamServer): it
 * gets an 'error' listener for good, so an error between two blocking calls does
 * not crash the process; it stays in socket.errored and the next call throws it.
 */
export function adopt(sock: BlockingSocket): void {
  const st = state(sock as Stateful);
  if (st.owned) return;
  st.owned = true;
  listen(sock, 'error', wake);
}

export function checkSocket(sock: unknown, name = 'socket'): asserts sock is BlockingSocket {
  if (!(sock instanceof Duplex)) throw new InvalidArgTypeError(name, 'an instance of net.Socket or stream.Duplex', sock);
}

function readableState(sock: BlockingSocket): ReadableState {
  return (sock as unknown as { _readableState: ReadableState })._readableState;
}

/** A call's options, its deadline fixed at the start (the timeout covers the whole call, not each wait). */
class CallOptions {
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  private readonly deadline: number;

  constructor(options: unknown, name = 'options') {
    const o = validateOptions(name, options) as SocketBlockOptions;
    this.timeout = o.timeout === undefined ? undefined : validateMs(`${name}.timeout`, o.timeout);
    this.signal = validateSignal(`${name}.signal`, o.signal);
    if (this.signal?.aborted) throw this.signal.reason;
    this.deadline = this.timeout === undefined ? Infinity : performance.now() + this.timeout;
  }

  get poll(): boolean {
    return this.timeout === 0;
  }

  /** What to give Waiter.get() for the next wait. */
  remaining(): { timeout?: number; signal?: AbortSignal } | undefined {
    if (this.timeout === undefined) return this.signal === undefined ? undefined : { signal: this.signal };
    return { timeout: Math.max(0, this.deadline - performance.now()), signal: this.signal };
  }
}

// Most calls pass no options: one shared instance, no allocation.
const NO_OPTIONS = new CallOptions(undefined);

function callOptions(options: unknown): CallOptions {
  return options === undefined ? NO_OPTIONS : new CallOptions(options);
}

const READ = 0;
const WRITE = 1;
type Side = typeof READ | typeof WRITE;

function enter(sock: Stateful, side: Side, what: string): SocketState {
  const st = state(sock);
  const me = hub.current;
  const holder = side === READ ? st.reader : st.writer;
  if (holder !== null && holder !== me) {
    throw new ConcurrentUseError(
      `${what}: another fiber is already ${side === READ ? 'reading from' : 'writing to'} this socket`,
    );
  }
  if (side === READ) st.reader = me;
  else st.writer = me;
  return st;
}

function leave(st: SocketState, side: Side): void {
  if (side === READ) st.reader = null;
  else st.writer = null;
}

/**
 * Parks the fiber until something happens on the socket (data, end, error, close,
 * drain, finish), the call's timeout or signal, or the socket's idle timeout.
 */
function parkOnSocket(sock: Stateful, st: SocketState, side: Side, opts: CallOptions, what: string): void {
  if (opts.poll) throw new TimeoutError(0);
  const w = new Waiter<void>(what); // BlockingInHubError on the hub
  if (side === READ) {
    st.readWaiter = w;
    if (!st.readableAttached) {
      st.readableAttached = true;
      listen(sock, 'readable', wake);
    }
  } else {
    st.writeWaiter = w;
  }
  if (!st.owned) listen(sock, 'error', wake);
  // The idle timer restarts per wait: an expired one is not re-armed until activity.
  if (typeof sock.timeout === 'number' && sock.timeout > 0 && typeof sock.setTimeout === 'function') {
    sock.setTimeout(sock.timeout);
  }
  try {
    w.get(opts.remaining(), what);
  } catch (err) {
    if (w.timedOut) throw new TimeoutError(opts.timeout!);
    throw err;
  } finally {
    if (side === READ) {
      st.readWaiter = null;
      // A fiber reading in a loop parks again before the hub runs ticks: keep the
      // listener for it (adding and removing one costs more than the read). If no
      // fiber is parked by then, the socket goes back to a plain stream.
      if (!st.detachScheduled) {
        st.detachScheduled = true;
        nextTick(detachReadable, sock);
      }
    } else {
      st.writeWaiter = null;
    }
    if (!st.owned) sock.removeListener('error', wake);
  }
}

function detachReadable(sock: Stateful): void {
  const st = sock[kState]!;
  st.detachScheduled = false;
  if (st.readWaiter === null && st.readableAttached) {
    st.readableAttached = false;
    sock.removeListener('readable', wake);
  }
}

function throwErrored(sock: BlockingSocket, above: (...args: never[]) => unknown): never {
  const err = sock.errored;
  restack(err, above);
  throw err;
}

/**
 * With nothing buffered: true at the end of the stream (after letting it emit
 * 'end'), throws the socket's error, false if more may come.
 */
function atEnd(sock: BlockingSocket, above: (...args: never[]) => unknown): boolean {
  if (sock.errored) throwErrored(sock, above);
  if (readableState(sock).ended || sock.readableEnded) {
    sock.read(); // an empty ended stream emits 'end' only once someone reads
    return true;
  }
  return sock.destroyed;
}

function takeAll(sock: BlockingSocket): Chunk {
  const rs = readableState(sock);
  // In flowing mode read() gives only the first buffered chunk.
  return (rs.flowing ? sock.read(sock.readableLength) : sock.read()) as Chunk;
}

function giveBack(sock: BlockingSocket, chunk: Chunk): void {
  if (chunk.length === 0) return;
  if (typeof chunk === 'string') sock.unshift(chunk, readableState(sock).encoding ?? undefined);
  else sock.unshift(chunk);
}

function validateMax(name: string, value: unknown, allowZero: boolean): number {
  if (typeof value !== 'number') throw new InvalidArgTypeError(name, 'of type number', value);
  if (value === Infinity) return value;
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new InvalidArgValueError(name, allowZero ? 'must be a non-negative integer' : 'must be a positive integer', value);
  }
  return value;
}

/**
 * Reads what is buffered, up to max bytes (default: all of it), blocking the
 * fiber while nothing is. Returns null at the end of the stream. Data that
 * arrived before an error is returned first; the next call throws the error.
 */
export function readSync(sock: BlockingSocket, max?: number, options?: SocketBlockOptions): Buffer | null {
  checkSocket(sock);
  const limit = max === undefined ? Infinity : validateMax('max', max, false);
  const opts = callOptions(options);
  const st = enter(sock, READ, 'readSync()');
  try {
    for (;;) {
      const len = sock.readableLength;
      if (len > 0) return (len <= limit ? takeAll(sock) : sock.read(limit)) as Buffer;
      if (atEnd(sock, readSync)) return null;
      if (!readableState(sock).reading) {
        sock.read(0); // makes sure the socket is reading
        if (sock.readableLength > 0) continue;
      }
      parkOnSocket(sock, st, READ, opts, 'readSync()');
    }
  } finally {
    leave(st, READ);
  }
}

/**
 * Reads exactly n bytes, blocking until they have arrived. If the stream ends
 * first, throws IncompleteReadError carrying the bytes that did arrive.
 */
export function readExactlySync(sock: BlockingSocket, n: number, options?: SocketBlockOptions): Buffer {
  checkSocket(sock);
  validateMax('n', n, true);
  if (n === Infinity) throw new InvalidArgValueError('n', 'must be a finite integer', n);
  const opts = callOptions(options);
  if (n === 0) return Buffer.alloc(0);
  const st = enter(sock, READ, 'readExactlySync()');
  try {
    for (;;) {
      if (sock.readableLength >= n) return sock.read(n) as Buffer;
      if (sock.errored) throwErrored(sock, readExactlySync);
      if (readableState(sock).ended || sock.readableEnded || sock.destroyed) {
        const partial = sock.readableLength > 0 ? takeAll(sock) : Buffer.alloc(0);
        sock.read();
        throw new IncompleteReadError(n, partial);
      }
      // read(n) with fewer bytes buffered returns null, but raises the stream's
      // high-water mark to n so it keeps reading until they are there.
      const got = sock.read(n) as Chunk | null;
      if (got !== null) {
        if (got.length === n) return got as Buffer;
        throw new IncompleteReadError(n, got); // the stream ended inside read()
      }
      parkOnSocket(sock, st, READ, opts, 'readExactlySync()');
    }
  } finally {
    leave(st, READ);
  }
}

/**
 * Reads up to and consuming the delimiter; returns the bytes before it. At the
 * end of the stream without the delimiter: IncompleteReadError (line mode: the
 * last, unterminated line, then null). More than maxLength bytes before the
 * delimiter: LineTooLongError, and nothing is consumed.
 */
function readUntil(
  sock: BlockingSocket,
  delimiter: Buffer | string,
  maxLength: number,
  line: boolean,
  opts: CallOptions,
  what: string,
  above: (...args: never[]) => unknown,
): Chunk | null {
  const st = enter(sock, READ, what);
  const encoding = readableState(sock).encoding;
  const delim: Chunk =
    encoding !== null
      ? typeof delimiter === 'string'
        ? delimiter
        : delimiter.toString(encoding)
      : typeof delimiter === 'string'
        ? Buffer.from(delimiter)
        : delimiter;
  // Bytes that may precede the delimiter without exceeding maxLength.
  const slack = delim.length - 1 + (line ? 1 : 0);
  // The head of the stream's buffer that was scanned and put back (no delimiter
  // in it). It stays in the stream while the fiber is parked, so a kill or
  // timeout loses nothing; only bytes beyond it are worth a new look.
  let scanned = 0;
  try {
    for (;;) {
      const len = sock.readableLength;
      if (len > scanned) {
        const acc = takeAll(sock);
        const i = acc.indexOf(delim as never, Math.max(0, scanned - delim.length + 1));
        if (i >= 0) {
          let end = i;
          if (line && end > 0 && (typeof acc === 'string' ? acc.charCodeAt(end - 1) : acc[end - 1]) === CR) end--;
          if (end > maxLength) {
            giveBack(sock, acc);
            throw new LineTooLongError(maxLength);
          }
          giveBack(sock, typeof acc === 'string' ? acc.slice(i + delim.length) : acc.subarray(i + delim.length));
          return typeof acc === 'string' ? acc.slice(0, end) : acc.subarray(0, end);
        }
        giveBack(sock, acc);
        if (acc.length - slack > maxLength) throw new LineTooLongError(maxLength);
        scanned = acc.length;
        // read(n) beyond what is buffered returns null and lifts the high-water
        // mark, so a line longer than it still arrives.
        const more = sock.read(scanned + 1) as Chunk | null;
        if (more !== null) giveBack(sock, more);
        continue;
      }
      if (sock.errored) throwErrored(sock, above);
      if (readableState(sock).ended || sock.readableEnded || sock.destroyed) {
        const partial = len > 0 ? takeAll(sock) : null;
        sock.read(); // an empty ended stream emits 'end' only once someone reads
        if (!line) throw new IncompleteReadError(delimiter, partial ?? Buffer.alloc(0));
        return partial;
      }
      if (len === 0 && !readableState(sock).reading) {
        sock.read(0);
        if (sock.readableLength > 0) continue;
      }
      parkOnSocket(sock, st, READ, opts, what);
    }
  } finally {
    leave(st, READ);
  }
}

function parseMaxLength(o: Record<string, unknown>): number {
  return o.maxLength === undefined ? DEFAULT_MAX_LINE : validateMax('options.maxLength', o.maxLength, true);
}

/**
 * Reads one line: returns it without its "\n" (and a "\r" before it), or null at
 * the end of the stream. The last line may lack its newline.
 */
export function readLineSync(sock: BlockingSocket, options?: ReadLineOptions & { encoding: BufferEncoding }): string | null;
export function readLineSync(sock: BlockingSocket, options?: ReadLineOptions): Buffer | null;
export function readLineSync(sock: BlockingSocket, options?: ReadLineOptions): Buffer | string | null {
  checkSocket(sock);
  const o = validateOptions('options', options);
  const maxLength = parseMaxLength(o);
  const encoding = o.encoding;
  if (encoding !== undefined && (typeof encoding !== 'string' || !Buffer.isEncoding(encoding))) {
    throw new InvalidArgValueError('options.encoding', 'must be a Buffer encoding', encoding);
  }
  const opts = callOptions(options);
  const line = readUntil(sock, '\n', maxLength, true, opts, 'readLineSync()', readLineSync);
  if (line === null || encoding === undefined || typeof line === 'string') return line;
  return line.toString(encoding as BufferEncoding);
}

/**
 * Reads up to the delimiter, consumes it and returns the bytes before it. If the
 * stream ends first, throws IncompleteReadError carrying what arrived.
 */
export function readUntilSync(sock: BlockingSocket, delimiter: string | Uint8Array, options?: ReadUntilOptions): Buffer {
  checkSocket(sock);
  if (typeof delimiter !== 'string' && !(delimiter instanceof Uint8Array)) {
    throw new InvalidArgTypeError('delimiter', 'of type string or an instance of Buffer or Uint8Array', delimiter);
  }
  if (delimiter.length === 0) throw new InvalidArgValueError('delimiter', 'must not be empty', delimiter);
  const o = validateOptions('options', options);
  const maxLength = parseMaxLength(o);
  const opts = callOptions(options);
  const delim = typeof delimiter === 'string' ? delimiter : Buffer.from(delimiter.buffer, delimiter.byteOffset, delimiter.byteLength);
  return readUntil(sock, delim, maxLength, false, opts, 'readUntilSync()', readUntilSync) as Buffer;
}

function checkWritable(sock: BlockingSocket, above: (...args: never[]) => unknown, what: string): void {
  if (sock.errored) throwErrored(sock, above);
  if (sock.writableEnded) throw new SocketClosedError(`${what}: the socket was ended (write after end)`);
  if (sock.destroyed) throw new SocketClosedError(`${what}: the socket is destroyed`);
  // Never connected (no handle, not connecting): node's write() would fail later, on the hub.
  if (sock.pending && !sock.connecting) throw new SocketClosedError(`${what}: the socket is not connected`);
}

/**
 * Writes data. While the socket's write buffer is over its high-water mark
 * (the peer reads slower than we write), blocks until it drains first: the call
 * returns once the data is accepted, and a timeout, abort or kill while it waits
 * leaves nothing written. Errors of earlier writes are thrown here.
 */
export function writeSync(sock: BlockingSocket, data: string | Uint8Array, options?: SocketBlockOptions): void {
  checkSocket(sock);
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new InvalidArgTypeError('data', 'of type string or an instance of Buffer or Uint8Array', data);
  }
  const opts = callOptions(options);
  const st = enter(sock, WRITE, 'writeSync()');
  try {
    for (;;) {
      checkWritable(sock, writeSync, 'writeSync()');
      if (!sock.writableNeedDrain) {
        sock.write(data);
        return;
      }
      parkOnSocket(sock, st, WRITE, opts, 'writeSync()');
    }
  } finally {
    leave(st, WRITE);
  }
}

/**
 * Ends the writable side (sends FIN after the buffered data), with optional last
 * data, and blocks until everything was handed to the OS. The socket can still
 * be read (half-close) if it allows half-open connections.
 */
export function endSync(sock: BlockingSocket, data?: string | Uint8Array | SocketBlockOptions, options?: SocketBlockOptions): void {
  checkSocket(sock);
  // endSync(sock, { timeout }) reads as options, like end(cb) reads as a callback.
  if (options === undefined && isOptionsBag(data)) {
    options = data as SocketBlockOptions;
    data = undefined;
  }
  if (data !== undefined && typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new InvalidArgTypeError('data', 'of type string or an instance of Buffer or Uint8Array', data);
  }
  const opts = callOptions(options);
  const st = enter(sock, WRITE, 'endSync()');
  try {
    if (!sock.writableEnded) {
      checkWritable(sock, endSync, 'endSync()');
      if (data === undefined) sock.end();
      else sock.end(data);
    } else if (data !== undefined) {
      throw new SocketClosedError('endSync(): the socket was ended (write after end)');
    }
    for (;;) {
      if (sock.writableFinished) return;
      if (sock.errored) throwErrored(sock, endSync);
      if (sock.destroyed) throw new SocketClosedError('endSync(): the socket was destroyed before its data was sent');
      parkOnSocket(sock, st, WRITE, opts, 'endSync()');
    }
  } finally {
    leave(st, WRITE);
  }
}

/**
 * Blocks until `emitter` emits `okEvent` (returns its first argument), throwing
 * an 'error' it emits first, or SocketClosedError if it emits 'close' first. If
 * it fails, times out, is aborted or killed, onGiveUp() runs (destroy the
 * half-made socket, close the server).
 */
export function waitForEvent<T>(
  emitter: NodeJS.EventEmitter,
  okEvent: string,
  options: unknown,
  what: string,
  onGiveUp: () => void,
  above: (...args: never[]) => unknown,
): T {
  const opts = callOptions(options);
  if (opts.poll) {
    onGiveUp();
    throw new TimeoutError(0);
  }
  const w = new Waiter<T>(what);
  let failure: unknown;
  const onOk = (value: T) => w.switch(value);
  const onError = (err: unknown) => {
    failure = err;
    w.throw(err);
  };
  const onClose = () => {
    failure = new SocketClosedError(`${what}: closed before '${okEvent}'`);
    w.throw(failure);
  };
  listen(emitter, okEvent, onOk);
  listen(emitter, 'error', onError);
  listen(emitter, 'close', onClose);
  try {
    return w.get(opts.remaining(), what);
  } catch (err) {
    if (err === failure) restack(err, above);
    // Also after an error: a TLS socket that failed verification is not closed by it.
    onGiveUp();
    if (w.timedOut) throw new TimeoutError(opts.timeout!);
    throw err;
  } finally {
    emitter.removeListener(okEvent, onOk);
    emitter.removeListener('error', onError);
    emitter.removeListener('close', onClose);
  }
}

// --- The methods form -------------------------------------------------------

/** The blocking methods a greenstack socket has (see the functions of the same name). */
export interface SocketMethods {
  readSync(max?: number, options?: SocketBlockOptions): Buffer | null;
  readExactlySync(n: number, options?: SocketBlockOptions): Buffer;
  readLineSync(options: ReadLineOptions & { encoding: BufferEncoding }): string | null;
  readLineSync(options?: ReadLineOptions): Buffer | null;
  readUntilSync(delimiter: string | Uint8Array, options?: ReadUntilOptions): Buffer;
  writeSync(data: string | Uint8Array, options?: SocketBlockOptions): void;
  endSync(data?: string | Uint8Array, options?: SocketBlockOptions): void;
  endSync(options: SocketBlockOptions): void;
}

function isOptionsBag(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array);
}

/** The methods, as installed on prototypes (each calls the function with `this`). */
export const socketMethods: SocketMethods = {
  readSync(this: BlockingSocket, max?: number, options?: SocketBlockOptions) {
    return readSync(this, max, options);
  },
  readExactlySync(this: BlockingSocket, n: number, options?: SocketBlockOptions) {
    return readExactlySync(this, n, options);
  },
  readLineSync(this: BlockingSocket, options?: ReadLineOptions) {
    return readLineSync(this, options) as never;
  },
  readUntilSync(this: BlockingSocket, delimiter: string | Uint8Array, options?: ReadUntilOptions) {
    return readUntilSync(this, delimiter, options);
  },
  writeSync(this: BlockingSocket, data: string | Uint8Array, options?: SocketBlockOptions) {
    writeSync(this, data, options);
  },
  endSync(this: BlockingSocket, data?: string | Uint8Array | SocketBlockOptions, options?: SocketBlockOptions) {
    endSync(this, data, options);
  },
};

const kMethods = Symbol.for('greenstack.socketMethods');

/** Defines the blocking methods on proto (non-enumerable, like class methods). */
export function installSocketMethods(proto: object): void {
  for (const [name, fn] of Object.entries(socketMethods)) {
    Object.defineProperty(proto, name, { value: fn, writable: true, enumerable: false, configurable: true });
  }
  Object.defineProperty(proto, kMethods, { value: true, writable: false, enumerable: false, configurable: true });
}

/** Removes what installSocketMethods added (patch mode undone). */
export function uninstallSocketMethods(proto: object): void {
  for (const name of [...Object.keys(socketMethods), kMethods]) {
    if (Object.prototype.hasOwnProperty.call(proto, name)) delete (proto as Record<PropertyKey, unknown>)[name];
  }
}

export function hasSocketMethods(sock: object): boolean {
  return (sock as Record<symbol, unknown>)[kMethods] === true;
}

/**
 * Gives a socket made anywhere (node:net, node:tls, an http request's socket...)
 * the blocking methods, and makes it keep its errors for the next blocking call
 * (an 'error' listener: no crash on an error between two calls). Returns the
 * same object; node's prototypes are not changed.
 */
export function blocking<S extends Duplex>(sock: S): S & SocketMethods {
  checkSocket(sock);
  adopt(sock as unknown as BlockingSocket);
  return upgrade(sock);
}

// The methods as own, non-enumerable properties, always added in the same order,
// so upgraded sockets share their hidden classes. (Moving a socket onto a
// subclass prototype instead would give every socket its own hidden class once
// node adds its next property, and make every stream call site megamorphic.)
const methodDescriptors: PropertyDescriptorMap = Object.fromEntries([
  ...Object.entries(socketMethods).map(([name, fn]) => [name, { value: fn, writable: true, enumerable: false, configurable: true }]),
  [kMethods, { value: true, writable: false, enumerable: false, configurable: true }],
]);

/** blocking() without adopting: the methods only (greenstack/net's connect() keeps node's error semantics). */
export function upgrade<S extends Duplex>(sock: S): S & SocketMethods {
  if (!hasSocketMethods(sock)) Object.defineProperties(sock, methodDescriptors);
  return sock as unknown as S & SocketMethods;
}
