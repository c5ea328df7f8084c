// net.ts: greenstack/net, a drop-in for node:net whose sockets and servers also have blocking-style methods (connectSync, readSync, acceptSync, StreamServer...).
//
// Everything node:net exports is here unchanged, except that the classes and
// factories hand out sockets with the blocking methods: Socket is a subclass of
// net.Socket carrying them; connect()/createConnection() return node sockets
// given them as own properties; Server (and createServer) is a subclass of
// net.Server whose 'connection' listeners run in a fiber per connection (option
// `fibers: false` turns that off) with such sockets. Any other socket gets the
// methods with blocking(socket), or takes the functions (readSync(socket, ...)).
// Node's prototypes are changed only in patch mode (cooperative.afterPatch).
import * as net from 'node:net';
import type { CooperativeModule } from '../io/cooperative.js';
import { BlockingInHubError, InvalidArgTypeError } from '../core/errors.js';
import { hub } from '../core/hub.js';
import {
  acceptSync,
  emitConnection,
  listenSync,
  patchServers,
  setFibersOption,
  unpatchServers,
  type GreenSocket,
} from './servers.js';
import {
  adopt,
  installSocketMethods,
  uninstallSocketMethods,
  upgrade,
  waitForEvent,
  type SocketBlockOptions,
  type SocketMethods,
} from './sockets.js';

export * from 'node:net';

export {
  blocking,
  endSync,
  readExactlySync,
  readLineSync,
  readSync,
  readUntilSync,
  writeSync,
  type BlockingSocket,
  type ReadLineOptions,
  type ReadUntilOptions,
  type SocketBlockOptions,
  type SocketMethods,
} from './sockets.js';
export {
  acceptSync,
  listenSync,
  setServerFibers,
  StreamServer,
  type GreenSocket,
  type StopOptions,
  type StreamHandler,
  type StreamServerOptions,
} from './servers.js';
export { IncompleteReadError, LineTooLongError, SocketClosedError } from '../core/errors.js';

/** net.Socket with the blocking methods (readSync, readLineSync, writeSync, ...). */
export class Socket extends net.Socket {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface Socket extends SocketMethods {}
installSocketMethods(Socket.prototype);

export interface ServerOptions extends net.ServerOpts {
  /** Run 'connection' listeners in a fiber per connection (default true). */
  fibers?: boolean;
}

/**
 * net.Server whose 'connection' listeners run in a fiber per connection (so they
 * may block) and get sockets with the blocking methods; plus listenSync() and
 * acceptSync().
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Server extends net.Server {
  constructor(connectionListener?: (socket: GreenSocket) => void);
  constructor(options?: ServerOptions, connectionListener?: (socket: GreenSocket) => void);
  constructor(options?: ServerOptions | ((socket: GreenSocket) => void), connectionListener?: (socket: GreenSocket) => void) {
    super(options as net.ServerOpts, connectionListener as (socket: net.Socket) => void);
    setFibersOption(this, options);
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    return emitConnection(this, event, args, 'connection', net.Socket) || super.emit(event, ...args);
  }

  /** listen(...args), blocking the fiber until listening (throws EADDRINUSE...). */
  listenSync(...args: unknown[]): this {
    return listenSync(this, ...args);
  }

  /** Blocks until a connection arrives; see acceptSync(server). */
  acceptSync(options?: SocketBlockOptions): GreenSocket {
    return acceptSync(this, options);
  }
}

export function createServer(connectionListener?: (socket: GreenSocket) => void): Server;
export function createServer(options?: ServerOptions, connectionListener?: (socket: GreenSocket) => void): Server;
export function createServer(
  options?: ServerOptions | ((socket: GreenSocket) => void),
  connectionListener?: (socket: GreenSocket) => void,
): Server {
  return new Server(options as ServerOptions, connectionListener);
}

/** net.connect(), returning a socket with the blocking methods (node's error handling: add an 'error' listener, or use blocking()). */
export const connect = function connect(...args: unknown[]): GreenSocket {
  return upgrade((net.connect as (...a: unknown[]) => net.Socket)(...args));
} as unknown as typeof net.connect & ((...args: unknown[]) => GreenSocket);

/** net.createConnection(), returning a socket with the blocking methods. */
export const createConnection = function createConnection(...args: unknown[]): GreenSocket {
  return upgrade((net.createConnection as (...a: unknown[]) => net.Socket)(...args));
} as unknown as typeof net.createConnection & ((...args: unknown[]) => GreenSocket);

/**
 * connectSync's options: net.connect's, except that `timeout` and `signal`
 * bound the connect itself (TimeoutError / the signal's reason; the socket is
 * destroyed). For an idle timeout afterwards, call socket.setTimeout().
 */
export type ConnectSyncOptions = (net.TcpSocketConnectOpts | net.IpcSocketConnectOpts) & SocketBlockOptions;

/**
 * Parses (port, host?, options?) | (port, options) | (path, options?) | (options)
 * into one options object.
 * @internal
 */
export function connectArgs(args: unknown[]): Record<string, unknown> {
  if (!Array.isArray(args)) throw new InvalidArgTypeError('args', 'an instance of Array', args);
  const [a, b, c] = args;
  const bag = (value: unknown, name: string): Record<string, unknown> => {
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null) throw new InvalidArgTypeError(name, 'of type object', value);
    return value as Record<string, unknown>;
  };
  if (typeof a === 'object' && a !== null) return { ...(a as Record<string, unknown>) };
  if (typeof a === 'number' || (typeof a === 'string' && /^\d+$/.test(a))) {
    if (typeof b === 'string') return { ...bag(c, 'options'), port: a, host: b };
    return { ...bag(b, 'options'), port: a };
  }
  if (typeof a === 'string') return { ...bag(b, 'options'), path: a };
  throw new InvalidArgTypeError('options', 'of type object, a port number or a path', a);
}

/**
 * Connects and blocks only the calling fiber until the socket is connected;
 * returns it (a Socket with the blocking methods) or throws Node's error
 * (ECONNREFUSED, ETIMEDOUT, ENOTFOUND...), TimeoutError after options.timeout.
 *
 *   connectSync(6379, '127.0.0.1')   connectSync({ port, host, timeout: 1000 })
 */
export function connectSync(port: number, host?: string, options?: Omit<net.TcpSocketConnectOpts, 'port' | 'host'> & SocketBlockOptions): Socket;
export function connectSync(port: number, options?: Omit<net.TcpSocketConnectOpts, 'port'> & SocketBlockOptions): Socket;
export function connectSync(path: string, options?: Omit<net.IpcSocketConnectOpts, 'path'> & SocketBlockOptions): Socket;
export function connectSync(options: ConnectSyncOptions): Socket;
export function connectSync(...args: unknown[]): Socket {
  const { timeout, signal, ...options } = connectArgs(args);
  if (hub.current === null) throw new BlockingInHubError('connectSync()');
  const sock = new Socket(options as net.SocketConstructorOpts);
  adopt(sock);
  sock.connect(options as unknown as net.SocketConnectOpts);
  waitForEvent(sock, 'connect', { timeout, signal }, 'connectSync()', () => sock.destroy(), connectSync);
  return sock;
}

/**
 * Patch mode for node:net: every net.Socket gets the blocking methods and every
 * net.Server listenSync()/acceptSync() (on the prototypes), and 'connection'
 * listeners of plain net servers run in a fiber per connection.
 */
export const cooperative: CooperativeModule = {
  module: 'net',
  implements: {},
  afterPatch() {
    installSocketMethods(net.Socket.prototype);
    for (const [name, fn] of Object.entries(serverMethods)) {
      Object.defineProperty(net.Server.prototype, name, { value: fn, writable: true, enumerable: false, configurable: true });
    }
    patchServers('net');
  },
  beforeUnpatch: () => unpatch(),
};

const serverMethods = {
  listenSync(this: net.Server, ...args: unknown[]) {
    return listenSync(this, ...args);
  },
  acceptSync(this: net.Server, options?: SocketBlockOptions) {
    return acceptSync(this, options);
  },
};

// Undoes afterPatch (the patcher's unpatchModule calls it).
function unpatch(): void {
  uninstallSocketMethods(net.Socket.prototype);
  for (const name of Object.keys(serverMethods)) delete (net.Server.prototype as unknown as Record<string, unknown>)[name];
  unpatchServers('net');
}
