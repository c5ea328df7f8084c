// servers.ts: blocking-style servers: listenSync/acceptSync, a fiber per connection or request (greenstack's Server classes and patch mode), and StreamServer.
import type * as http from 'node:http';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import {
  BlockingInHubError,
  CarrierLimitError,
  FiberExit,
  InvalidArgTypeError,
  InvalidArgValueError,
  QueueEmpty,
  QueueShutDown,
  SocketClosedError,
  TimeoutError,
  validateFunction,
  validateMs,
  validateOptions,
} from '../core/errors.js';
import { Event } from '../toolkit/event.js';
import { Fiber, joinAll, killAll } from '../core/fiber.js';
import { hub, type Switchable } from '../core/hub.js';
import { Group, Pool } from '../toolkit/pool.js';
import { Queue } from '../toolkit/queue.js';
import { blocking, waitForEvent, type BlockingSocket, type SocketBlockOptions, type SocketMethods } from './sockets.js';
import { nextTick } from '../core/timers.js';

/** A socket handed to blocking-style code: a node socket with the blocking methods. */
export type GreenSocket = net.Socket & SocketMethods;

// tls.Server (and https.Server) deliver usable sockets with 'secureConnection'.
function connectionEvent(server: net.Server): 'connection' | 'secureConnection' {
  return typeof (server as tls.Server).setSecureContext === 'function' ? 'secureConnection' : 'connection';
}

// --- listenSync / acceptSync ------------------------------------------------------

/** server.listen(...args), blocking the fiber until it listens; throws EADDRINUSE and the like. */
export function listenSync<S extends net.Server>(server: S, ...args: unknown[]): S {
  if (!(server instanceof net.Server)) throw new InvalidArgTypeError('server', 'an instance of net.Server', server);
  if (hub.current === null) throw new BlockingInHubError('listenSync()');
  // Connections may arrive before the fiber runs again: queue them for acceptSync() from the start.
  const onListening = () => queueUntilListened(server);
  server.once('listening', onListening);
  try {
    (server.listen as (...a: unknown[]) => unknown)(...args);
    waitForEvent(server, 'listening', undefined, 'listenSync()', () => server.close(), listenSync);
  } catch (err) {
    server.removeListener('listening', onListening);
    throw err;
  }
  return server;
}

const kAccept = Symbol('greenstack.accept');
const kProvisional = Symbol('greenstack.acceptProvisional');
type Accepting = net.Server & { [kAccept]?: Queue<GreenSocket>; [kProvisional]?: () => void };

/**
 * A listening server that nobody listens to for connections queues them for a
 * later first acceptSync() (otherwise they would be left unanswered). The queue
 * is provisional: if a connection listener is added before the first
 * acceptSync(), the queue goes away and what it held is emitted to the listener.
 */
function queueUntilListened(server: Accepting): void {
  if (server[kAccept] === undefined && server.listenerCount(connectionEvent(server)) === 0) acceptQueue(server, true);
}

function acceptQueue(server: Accepting, provisional = false): Queue<GreenSocket> {
  let queue = server[kAccept];
  if (queue !== undefined) {
    if (!provisional) server[kProvisional]?.();
    return queue;
  }
  const q = new Queue<GreenSocket>();
  queue = q;
  server[kAccept] = q;
  // Accepted sockets are queued by a plain listener: no fiber per connection here.
  const fibersBefore = (server as FiberServer)[kFibers];
  (server as FiberServer)[kFibers] = false;
  const event = connectionEvent(server);
  const onConnection = (sock: net.Socket) => {
    q.putNowait(blocking(sock));
  };
  server.on(event, onConnection);
  const uninstall = () => {
    delete (server as Partial<Accepting>).close;
    delete server[kAccept];
    server.removeListener(event, onConnection);
    settle();
  };
  // net.Server has no event for "stopped listening" ('close' waits for every
  // connection, queued ones included): wrap this instance's close().
  const close = server.close;
  server.close = function (this: net.Server, cb?: (err?: Error) => void) {
    uninstall();
    while (!q.empty()) q.getNowait().destroy();
    q.shutdown(true);
    return close.call(this, cb);
  } as typeof server.close;
  let settle = (): void => {};
  if (provisional) {
    const onNewListener = (name: string | symbol) => {
      if (name !== event) return;
      // The server has a connection listener after all: give back what was queued.
      uninstall();
      if (fibersBefore === undefined) delete (server as FiberServer)[kFibers];
      else (server as FiberServer)[kFibers] = fibersBefore;
      const held: GreenSocket[] = [];
      while (!q.empty()) held.push(q.getNowait());
      q.shutdown(true);
      // 'newListener' fires before the listener is added.
      if (held.length > 0) nextTick(() => { for (const sock of held) server.emit(event, sock); });
    };
    server.on('newListener', onNewListener);
    settle = () => {
      server.removeListener('newListener', onNewListener);
      delete server[kProvisional];
    };
    server[kProvisional] = settle;
  }
  return queue;
}

/**
 * Blocks until the server has a new connection and returns its socket (with the
 * blocking methods). Several fibers may wait; they are served in order. Throws
 * SocketClosedError if the server is not listening or once server.close() is
 * called (queued connections are closed), TimeoutError after options.timeout. A server used this way runs its 'connection' listeners
 * without fibers.
 */
export function acceptSync(server: net.Server, options?: SocketBlockOptions): GreenSocket {
  if (!(server instanceof net.Server)) throw new InvalidArgTypeError('server', 'an instance of net.Server', server);
  const opts = validateOptions('options', options) as SocketBlockOptions;
  if (!server.listening && (server as Accepting)[kAccept] === undefined) {
    throw new SocketClosedError('acceptSync(): the server is not listening');
  }
  const queue = acceptQueue(server);
  try {
    return queue.get(opts);
  } catch (err) {
    if (err instanceof QueueEmpty) throw new TimeoutError(opts.timeout ?? 0);
    if (err instanceof QueueShutDown) throw new SocketClosedError('acceptSync(): the server stopped listening');
    throw err;
  }
}

// --- A fiber per connection / request ---------------------------------------------

/** Set false on a server to run its listeners without fibers (greenstack's classes and patch mode). */
export const kFibers = Symbol.for('greenstack.serverFibers');
type FiberServer = net.Server & { [kFibers]?: boolean };

export type FiberEvent = 'connection' | 'secureConnection' | 'request';

// The fiber running the listeners of one emission, while it does: its emit()
// must go straight through to the listeners instead of starting another fiber.
const emitting = new Map<Switchable, { server: object; event: string }>();

function runListeners(server: net.Server, event: string, args: unknown[]): void {
  const me = hub.current!;
  emitting.set(me, { server, event });
  try {
    server.emit(event, ...args);
  } finally {
    emitting.delete(me);
  }
}

/** True when this emission is the one a listener fiber is making (pass it through). */
function insideOwnFiber(server: object, event: string): boolean {
  const me = hub.current;
  if (me === null) return false;
  const e = emitting.get(me);
  return e !== undefined && e.server === server && e.event === event;
}

/**
 * Runs the event's listeners in a new fiber. On the hub the fiber runs at once,
 * until it first blocks, so listeners start exactly when they would have (a
 * request's 'data' listeners are in place before its data is emitted); from a
 * fiber it starts on the next hub turn. A listener that throws makes the fiber
 * fail unobserved, reported like an uncaught error, as Node would.
 */
function emitInFiber(server: net.Server, event: string, args: unknown[]): boolean {
  const f = new Fiber(runListeners, { args: [server, event, args], name: `${event} listener` });
  try {
    // On the hub it runs at once, as node's listeners would, with no hub turn queued.
    if (hub.current === null) f._runNow();
    else f.start();
  } catch (err) {
    if (!(err instanceof CarrierLimitError)) throw err;
    // No thread for another fiber: run the listeners as node would, on the hub.
    if (!warnedNoFiber) {
      warnedNoFiber = true;
      process.emitWarning(`greenstack: ${err.message}; '${event}' listeners run without a fiber until fibers can be made again`, {
        code: 'GREENSTACK_NO_FIBER_FOR_LISTENER',
      });
    }
    return false;
  }
  return true;
}

let warnedNoFiber = false;

/**
 * The emit() step shared by greenstack's server classes and patch mode: true if
 * it moved this emission into a fiber (the caller then returns true), false to
 * emit normally.
 */
export function divertToFiber(server: FiberServer, event: string, args: unknown[]): boolean {
  if (server[kFibers] === false || insideOwnFiber(server, event) || server.listenerCount(event) === 0) return false;
  return emitInFiber(server, event, args);
}

/** The `fibers` option of greenstack's Server classes (net, tls): false opts a server out. */
export function setFibersOption(server: net.Server, options: unknown): void {
  if (typeof options !== 'object' || options === null) return;
  const fibers = (options as { fibers?: unknown }).fibers;
  if (fibers === undefined) return;
  if (typeof fibers !== 'boolean') throw new InvalidArgTypeError('options.fibers', 'of type boolean', fibers);
  (server as FiberServer)[kFibers] = fibers;
}

/**
 * emit() of greenstack's Server classes: the user-facing connection event's socket
 * gets the blocking methods, and its listeners run in a fiber. True if handled.
 */
export function emitConnection(
  server: net.Server,
  event: string | symbol,
  args: unknown[],
  connectionEvent: FiberEvent,
  Socket: typeof net.Socket,
): boolean {
  if (event !== connectionEvent || !(args[0] instanceof Socket)) return false;
  blocking(args[0]);
  // A connection nobody listens for: queue it for acceptSync() (server.listen() without listenSync).
  if (server.listenerCount(event) === 0) queueUntilListened(server);
  return divertToFiber(server, event, args);
}

// --- Patch mode: node's own servers ------------------------------------------------

/** Server families, by the builtin whose patch gives their listeners fibers. */
export type ServerKind = 'net' | 'tls' | 'http' | 'https';

// The user-facing event of each family: node's protocol servers keep their own
// 'connection' listeners (they set the protocol up and must run synchronously);
// their users' code listens to 'secureConnection' / 'request'.
const FIBER_EVENT: Readonly<Record<ServerKind, FiberEvent>> = {
  net: 'connection',
  tls: 'secureConnection',
  http: 'request',
  https: 'request',
};

const patchedKinds = new Set<ServerKind>();
let originalEmit: ((this: net.Server, event: string | symbol, ...args: unknown[]) => boolean) | null = null;
let serverFibersOff = process.env.GREENSTACK_SERVER_FIBERS === '0' || process.env.GREENSTACK_SERVER_FIBERS === 'false';

const kindByProto = new Map<object, ServerKind>();

function kindOf(server: net.Server): ServerKind {
  const proto = Object.getPrototypeOf(server) as object;
  let kind = kindByProto.get(proto);
  if (kind === undefined) {
    // Loaded lazily: patching net alone should not load http/tls. (Once a server
    // of that class exists, its module is loaded anyway.)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tlsMod = require('node:tls') as typeof tls;
    const secure = server instanceof tlsMod.Server;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const httpMod = require('node:http') as typeof http;
    // http2 servers (compat API) have updateSettings(); https.Server is a tls.Server
    // carrying http's listeners, so it has http.Server's methods (setTimeout's twin).
    let web = server instanceof httpMod.Server || typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
    if (!web && secure) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      web = server instanceof (require('node:https') as typeof import('node:https')).Server;
    }
    kind = web ? (secure ? 'https' : 'http') : secure ? 'tls' : 'net';
    kindByProto.set(proto, kind);
  }
  return kind;
}

function patchedEmit(this: FiberServer, event: string | symbol, ...args: unknown[]): boolean {
  if (!serverFibersOff && (event === 'connection' || event === 'request' || event === 'secureConnection') && patchedKinds.size > 0) {
    const kind = kindOf(this);
    if (patchedKinds.has(kind) && FIBER_EVENT[kind] === event && divertToFiber(this, event, args)) return true;
  }
  return originalEmit!.call(this, event, ...args);
}

/**
 * Patch mode: the listeners of node's servers of this family run in a fiber per
 * connection / request ('connection' of net.Server, 'secureConnection' of
 * tls.Server, 'request' of http/https (and http2) servers). Done by one emit()
 * on net.Server.prototype, which every server class inherits, not by wrapping
 * listeners: the listeners of one emission run in order in one fiber, and
 * removeListener(), listeners() and once() see exactly what was registered.
 */
export function patchServers(kind: ServerKind): void {
  if (originalEmit === null) {
    originalEmit = net.Server.prototype.emit as unknown as typeof originalEmit;
    Object.defineProperty(net.Server.prototype, 'emit', {
      value: patchedEmit,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
  patchedKinds.add(kind);
}

/** Undoes patchServers(kind); with no family left, node's emit is back. */
export function unpatchServers(kind: ServerKind): void {
  patchedKinds.delete(kind);
  if (patchedKinds.size === 0 && originalEmit !== null) {
    if (net.Server.prototype.emit === patchedEmit) delete (net.Server.prototype as Partial<net.Server>).emit;
    originalEmit = null;
  }
}

/**
 * Turns patch mode's fiber per connection / request off (false) or back on, for
 * servers made after and before alike. Also: env GREENSTACK_SERVER_FIBERS=0.
 * One server: `server[Symbol.for('greenstack.serverFibers')] = false`.
 */
export function setServerFibers(enabled: boolean): void {
  if (typeof enabled !== 'boolean') throw new InvalidArgTypeError('enabled', 'of type boolean', enabled);
  serverFibersOff = !enabled;
}

// --- StreamServer -------------------------------------------------------------------

export interface StreamServerOptions {
  /**
   * Most handlers running at once: a Pool, or its size. Connections beyond it
   * stay open, unread, until a handler finishes. Default: no limit.
   */
  pool?: Pool | number;
  /** Node's server.maxConnections: connections beyond it are closed at once. */
  maxConnections?: number;
  /** Serve TLS with these options (key, cert, ...); handlers get the socket after the handshake. */
  tls?: tls.TlsOptions;
  /**
   * Keep the writable side open after the peer ends: default true for TCP (a
   * handler may answer after EOF), false with tls.
   */
  allowHalfOpen?: boolean;
  /** Disable Nagle's algorithm on accepted sockets (default false, as Node). */
  noDelay?: boolean;
  /**
   * Called (on the handler's fiber, or the hub) with errors of one connection: a
   * handler that threw, a failed TLS handshake, a listen error. Default: print to stderr.
   */
  onError?: (err: unknown, socket: net.Socket | null, address: net.AddressInfo | null) => void;
}

export type StreamHandler = (socket: GreenSocket, address: net.AddressInfo) => void;

export interface StopOptions {
  /** How long handlers may still run before they are killed (ms, default 1000). */
  timeout?: number;
}

const NEW = 0;
const STARTED = 1;
const STOPPING = 2;
const STOPPED = 3;

// The peer went away: one line, not a stack (these are routine on a busy server).
const PEER_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

function defaultOnError(err: unknown, _socket: net.Socket | null, address: net.AddressInfo | null): void {
  const where = address === null ? '' : ` (${address.address}:${address.port})`;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && PEER_GONE.has(code)) console.error(`StreamServer: connection${where} lost: ${code}`);
  else console.error(`StreamServer: error${where}:`, err);
}

/**
 * A TCP (or TLS) server that runs handler(socket, address) in its own fiber for
 * each connection (gevent's StreamServer). The socket is closed when the handler
 * returns (after its writes are flushed), or destroyed if it throws or is killed;
 * errors are passed to onError and never stop the server.
 */
export class StreamServer {
  /** The node server underneath (net.Server, or tls.Server with the tls option). */
  readonly server: net.Server;
  private readonly handler: StreamHandler;
  private readonly group: Group;
  private readonly onError: NonNullable<StreamServerOptions['onError']>;
  private readonly noDelay: boolean;
  private readonly handlers = new Set<Fiber>();
  private readonly sockets = new Set<net.Socket>();
  private readonly handshaking = new Set<net.Socket>();
  private backlog: Array<[GreenSocket, net.AddressInfo]> = [];
  private state = NEW;
  private listenError: unknown = undefined;
  private starting = false;
  private readonly done = new Event();
  /** Set once listening, or once listening failed. */
  private readonly bound = new Event();
  private readonly ownSockets = new WeakMap<Fiber, net.Socket>();

  constructor(handler: StreamHandler, options?: StreamServerOptions) {
    validateFunction('handler', handler);
    const opts = validateOptions('options', options) as StreamServerOptions;
    this.handler = handler;
    if (opts.pool === undefined) this.group = new Group();
    else if (opts.pool instanceof Pool) this.group = opts.pool;
    else if (typeof opts.pool === 'number') this.group = new Pool(opts.pool);
    else throw new InvalidArgTypeError('options.pool', 'a Pool or a number', opts.pool);
    if (opts.onError !== undefined) validateFunction('options.onError', opts.onError);
    this.onError = opts.onError ?? defaultOnError;
    if (opts.allowHalfOpen !== undefined && typeof opts.allowHalfOpen !== 'boolean') {
      throw new InvalidArgTypeError('options.allowHalfOpen', 'of type boolean', opts.allowHalfOpen);
    }
    if (opts.noDelay !== undefined && typeof opts.noDelay !== 'boolean') {
      throw new InvalidArgTypeError('options.noDelay', 'of type boolean', opts.noDelay);
    }
    this.noDelay = opts.noDelay === true;
    if (opts.tls !== undefined) {
      validateOptions('options.tls', opts.tls);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const tlsMod = require('node:tls') as typeof tls;
      // Not half-open by default: node never closes a half-open TLS socket whose
      // client went away during the handshake.
      const server = tlsMod.createServer({ ...opts.tls, allowHalfOpen: opts.allowHalfOpen ?? false });
      server.on('secureConnection', this.onConnection);
      server.on('tlsClientError', (err: Error, sock: tls.TLSSocket) => this.report(err, sock, remote(sock)));
      // Connections still in their handshake, so stop() can close them too.
      server.on('connection', (raw: net.Socket) => {
        this.handshaking.add(raw);
        raw.once('close', () => this.handshaking.delete(raw));
      });
      this.server = server;
    } else {
      this.server = net.createServer({ allowHalfOpen: opts.allowHalfOpen ?? true }, this.onConnection);
    }
    (this.server as FiberServer)[kFibers] = false; // its connections get fibers here, not from patch mode
    if (opts.maxConnections !== undefined) {
      const m = opts.maxConnections;
      if (typeof m !== 'number') throw new InvalidArgTypeError('options.maxConnections', 'of type number', m);
      if (!Number.isInteger(m) || m < 1) throw new InvalidArgValueError('options.maxConnections', 'must be a positive integer', m);
      this.server.maxConnections = m;
    }
    this.server.on('error', (err: Error) => {
      if (this.state !== STARTED) return;
      if (this.server.listening) {
        this.report(err, null, null); // accept() failed (EMFILE...): the server goes on
        return;
      }
      this.listenError = err;
      if (!this.starting) this.report(err, null, null); // else start() throws it
      this.server.close();
      this.state = STOPPED;
      this.bound.set();
      this.done.set();
    });
    this.server.on('listening', () => this.bound.set());
  }

  /**
   * Starts listening (net.Server.listen arguments: a port, port and host, or
   * options) and accepting; never waits for connections. On the hub it returns at
   * once (address() is set once the server emits 'listening'; a listen error goes
   * to onError and is thrown by serveForever()). In a fiber it also waits for the
   * bind, which takes a moment, so address() is set and a listen error (EADDRINUSE)
   * is thrown here.
   */
  start(...args: unknown[]): this {
    if (this.state !== NEW) {
      throw new SocketClosedError(`StreamServer.start(): the server was already ${this.state === STARTED ? 'started' : 'stopped'}`);
    }
    (this.server.listen as (...a: unknown[]) => unknown)(...args);
    this.state = STARTED;
    if (hub.current !== null && !this.server.listening) {
      this.starting = true;
      try {
        this.bound.wait();
      } finally {
        this.starting = false;
      }
      if (this.listenError !== undefined) throw this.listenError;
    }
    return this;
  }

  /** The bound address (server.address()), or null before it is bound. */
  address(): net.AddressInfo | string | null {
    return this.server.address();
  }

  /** Listening and not stopped. */
  get started(): boolean {
    return this.state === STARTED;
  }

  /** Connections open now (handlers running or waiting for a pool slot). */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * Starts (with these listen arguments) unless started, then blocks the fiber
   * until the server is stopped. Throws the listen error if listening failed.
   */
  serveForever(...args: unknown[]): void {
    if (hub.current === null) throw new BlockingInHubError('StreamServer.serveForever()');
    if (this.state === NEW) this.start(...args);
    this.done.wait();
    if (this.listenError !== undefined) throw this.listenError;
  }

  /**
   * Stops accepting, lets running handlers finish for up to options.timeout ms,
   * then kills the rest and closes every connection. In a fiber it blocks until
   * all that is done; on the hub it returns at once and does it in a fiber.
   */
  stop(options?: StopOptions): void {
    const opts = validateOptions('options', options) as StopOptions;
    const timeout = opts.timeout === undefined ? 1000 : validateMs('options.timeout', opts.timeout);
    if (this.state === NEW) {
      this.state = STOPPED;
      this.done.set();
      return;
    }
    if (this.state === STARTED) {
      this.state = STOPPING;
      if (this.server.listening) this.server.close();
      const waiting = this.backlog;
      this.backlog = [];
      for (const [sock] of waiting) sock.destroy();
      if (hub.current === null) {
        new Fiber(() => this.finishStop(timeout), { name: 'StreamServer.stop()' }).start();
        return;
      }
      this.finishStop(timeout);
      return;
    }
    // Already stopping (or stopped): a fiber waits for the stop under way to end.
    if (hub.current !== null) this.done.wait();
  }

  private finishStop(timeout: number): void {
    try {
      // A handler that calls stop() is not waited for (it would wait for itself).
      const me = hub.current;
      const running = [...this.handlers].filter((f) => f !== me);
      const finished = joinAll(running, { timeout });
      if (finished.length < running.length) killAll(running.filter((f) => !f.dead), new FiberExit('StreamServer stopped'));
      for (const sock of this.sockets) {
        if (me !== null && this.isOwnSocket(sock)) continue;
        sock.destroy();
        this.sockets.delete(sock);
      }
      for (const raw of this.handshaking) raw.destroy();
    } finally {
      this.state = STOPPED;
      this.done.set();
    }
  }

  private isOwnSocket(sock: net.Socket): boolean {
    const me = hub.current as Fiber | null;
    return me !== null && this.ownSockets.get(me) === sock;
  }

  private readonly onConnection = (sock: net.Socket): void => {
    if (this.state !== STARTED) {
      sock.destroy();
      return;
    }
    const s = blocking(sock);
    if (this.noDelay) sock.setNoDelay(true);
    this.sockets.add(sock);
    sock.once('close', () => this.sockets.delete(sock));
    const address = remote(sock);
    if (this.group.freeCount() > 0) this.startHandler(s, address);
    else this.backlog.push([s, address]);
  };

  private startHandler(sock: GreenSocket, address: net.AddressInfo): void {
    let f: Fiber;
    try {
      f = this.group.spawn(this.run, sock, address) as Fiber;
    } catch (err) {
      // No fiber for it (CarrierLimitError at the thread limit): drop this
      // connection, keep serving the others.
      this.report(err, sock, address);
      sock.destroy();
      return;
    }
    this.handlers.add(f);
    this.ownSockets.set(f, sock);
    // Links run after the Pool's own (registered at spawn), so the slot is free by then.
    f.link(this.onHandlerDone);
  }

  private readonly onHandlerDone = (f: Fiber): void => {
    this.handlers.delete(f);
    while (this.backlog.length > 0 && this.group.freeCount() > 0 && this.state === STARTED) {
      const [sock, address] = this.backlog.shift()!;
      if (sock.destroyed) continue;
      this.startHandler(sock, address);
    }
  };

  private readonly run = (sock: GreenSocket, address: net.AddressInfo): void => {
    let clean = false;
    try {
      this.handler(sock, address);
      clean = true;
    } catch (err) {
      if (!(err instanceof FiberExit)) this.report(err, sock, address);
    } finally {
      // Returned: flush and close. Threw or killed: drop the connection.
      if (clean && !sock.errored) sock.destroySoon();
      else sock.destroy();
    }
  };

  private report(err: unknown, socket: net.Socket | null, address: net.AddressInfo | null): void {
    try {
      this.onError(err, socket, address);
    } catch {
      // A failing error handler must not take the server down either.
    }
  }
}

function remote(sock: net.Socket): net.AddressInfo {
  return { address: sock.remoteAddress ?? '', family: sock.remoteFamily ?? '', port: sock.remotePort ?? 0 };
}

export type { BlockingSocket };
