// tls.ts: greenstack/tls, a drop-in for node:tls whose sockets and servers also have blocking-style methods (connectSync after the handshake, readSync, acceptSync...).
//
// As greenstack/net: node:tls unchanged, plus TLSSocket (a subclass with the
// blocking methods), connect() returning such sockets, Server/createServer whose
// 'secureConnection' listeners run in a fiber per connection, and connectSync().
import * as tls from 'node:tls';
import type { CooperativeModule } from '../io/cooperative.js';
import { BlockingInHubError } from '../core/errors.js';
import { hub } from '../core/hub.js';
import { connectArgs } from './net.js';
import { acceptSync, emitConnection, listenSync, patchServers, setFibersOption, unpatchServers } from './servers.js';
import {
  blocking,
  installSocketMethods,
  uninstallSocketMethods,
  upgrade,
  waitForEvent,
  type SocketBlockOptions,
  type SocketMethods,
} from './sockets.js';

export * from 'node:tls';

export {
  blocking,
  endSync,
  readExactlySync,
  readLineSync,
  readSync,
  readUntilSync,
  writeSync,
  type ReadLineOptions,
  type ReadUntilOptions,
  type SocketBlockOptions,
  type SocketMethods,
} from './sockets.js';
export { acceptSync, listenSync, StreamServer, type StreamServerOptions } from './servers.js';
export { IncompleteReadError, LineTooLongError, SocketClosedError } from '../core/errors.js';

/** tls.TLSSocket with the blocking methods (readSync, readLineSync, writeSync, ...). */
export class TLSSocket extends tls.TLSSocket {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface TLSSocket extends SocketMethods {}
installSocketMethods(TLSSocket.prototype);

/** A TLS socket handed to blocking-style code. */
export type GreenTLSSocket = tls.TLSSocket & SocketMethods;

export interface ServerOptions extends tls.TlsOptions {
  /** Run 'secureConnection' listeners in a fiber per connection (default true). */
  fibers?: boolean;
}

/**
 * tls.Server whose 'secureConnection' listeners run in a fiber per connection and
 * get sockets with the blocking methods; plus listenSync() and acceptSync()
 * (which returns connections after their handshake).
 */
export class Server extends tls.Server {
  constructor(secureConnectionListener?: (socket: GreenTLSSocket) => void);
  constructor(options?: ServerOptions, secureConnectionListener?: (socket: GreenTLSSocket) => void);
  constructor(options?: ServerOptions | ((socket: GreenTLSSocket) => void), listener?: (socket: GreenTLSSocket) => void) {
    if (typeof options === 'function') {
      listener = options;
      options = {};
    }
    super(options as tls.TlsOptions, listener as (socket: tls.TLSSocket) => void);
    setFibersOption(this, options);
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    return emitConnection(this, event, args, 'secureConnection', tls.TLSSocket) || super.emit(event, ...args);
  }

  listenSync(...args: unknown[]): this {
    return listenSync(this, ...args);
  }

  acceptSync(options?: SocketBlockOptions): GreenTLSSocket {
    return acceptSync(this, options) as unknown as GreenTLSSocket;
  }
}

export function createServer(listener?: (socket: GreenTLSSocket) => void): Server;
export function createServer(options?: ServerOptions, listener?: (socket: GreenTLSSocket) => void): Server;
export function createServer(
  options?: ServerOptions | ((socket: GreenTLSSocket) => void),
  listener?: (socket: GreenTLSSocket) => void,
): Server {
  return new Server(options as ServerOptions, listener);
}

/** tls.connect(), returning a socket with the blocking methods (node's error handling: add an 'error' listener, or use blocking()). */
export const connect = function connect(...args: unknown[]): GreenTLSSocket {
  return upgrade((tls.connect as (...a: unknown[]) => tls.TLSSocket)(...args));
} as unknown as typeof tls.connect & ((...args: unknown[]) => GreenTLSSocket);

/**
 * connectSync's options: tls.connect's, except that `timeout` and `signal` bound
 * the connect and handshake (TimeoutError / the signal's reason; the socket is
 * destroyed).
 */
export type ConnectSyncOptions = tls.ConnectionOptions & SocketBlockOptions;

/**
 * Connects, blocking only the calling fiber until the TLS handshake is done;
 * returns the socket (with the blocking methods) or throws: Node's connect
 * errors, a handshake or certificate error (DEPTH_ZERO_SELF_SIGNED_CERT,
 * ERR_TLS_CERT_ALTNAME_INVALID, ...), TimeoutError after options.timeout.
 */
export function connectSync(port: number, host?: string, options?: Omit<ConnectSyncOptions, 'port' | 'host'>): GreenTLSSocket;
export function connectSync(port: number, options?: Omit<ConnectSyncOptions, 'port'>): GreenTLSSocket;
export function connectSync(options: ConnectSyncOptions): GreenTLSSocket;
export function connectSync(...args: unknown[]): GreenTLSSocket {
  const { timeout, signal, ...options } = connectArgs(args);
  if (hub.current === null) throw new BlockingInHubError('tls.connectSync()');
  const sock = blocking(tls.connect(options as tls.ConnectionOptions));
  waitForEvent(sock, 'secureConnect', { timeout, signal }, 'tls.connectSync()', () => sock.destroy(), connectSync);
  return sock;
}

/**
 * Patch mode for node:tls: TLS sockets get the blocking methods (on
 * tls.TLSSocket.prototype, unless net's patch already gave them to every
 * net.Socket), and 'secureConnection' listeners of tls servers run in a fiber per
 * connection.
 */
export const cooperative: CooperativeModule = {
  module: 'tls',
  implements: {},
  afterPatch() {
    installSocketMethods(tls.TLSSocket.prototype);
    patchServers('tls');
  },
  beforeUnpatch: () => unpatch(),
};

// Undoes afterPatch (the patcher's unpatchModule calls it).
function unpatch(): void {
  uninstallSocketMethods(tls.TLSSocket.prototype);
  unpatchServers('tls');
}
