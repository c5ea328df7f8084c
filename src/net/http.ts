// http.ts: greenstack/http, a drop-in for node:http whose servers run each request's listeners in a fiber, so handlers may block.
//
// node:http unchanged, plus Server/createServer: 'request' listeners run in a
// fiber per request (started at once, so they begin exactly when node would
// call them; option `fibers: false` turns it off). In patch mode every
// http.Server does the same. Blocking HTTP clients: wait(fetch(...)), or
// greenstack/net's blocking sockets.
import * as http from 'node:http';
import type { CooperativeModule } from '../io/cooperative.js';
import { InvalidArgTypeError } from '../core/errors.js';
import { divertToFiber, kFibers, patchServers, unpatchServers } from './servers.js';

export * from 'node:http';

export interface ServerOptions extends http.ServerOptions {
  /** Run 'request' listeners in a fiber per request (default true). */
  fibers?: boolean;
}

/** http.Server whose 'request' listeners run in a fiber per request. */
export class Server extends http.Server {
  constructor(requestListener?: http.RequestListener);
  constructor(options: ServerOptions, requestListener?: http.RequestListener);
  constructor(options?: ServerOptions | http.RequestListener, requestListener?: http.RequestListener) {
    if (typeof options === 'function') {
      requestListener = options;
      options = {};
    }
    super(options ?? {}, requestListener);
    if (options?.fibers !== undefined) {
      if (typeof options.fibers !== 'boolean') throw new InvalidArgTypeError('options.fibers', 'of type boolean', options.fibers);
      (this as { [kFibers]?: boolean })[kFibers] = options.fibers;
    }
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' && divertToFiber(this, 'request', args)) return true;
    return super.emit(event as string, ...args);
  }
}

export function createServer(requestListener?: http.RequestListener): Server;
export function createServer(options: ServerOptions, requestListener?: http.RequestListener): Server;
export function createServer(options?: ServerOptions | http.RequestListener, requestListener?: http.RequestListener): Server {
  return new Server(options as ServerOptions, requestListener);
}

/** Patch mode for node:http: 'request' listeners of every http.Server (and http2 server) run in a fiber per request. */
export const cooperative: CooperativeModule = {
  module: 'http',
  implements: {},
  afterPatch() {
    patchServers('http');
  },
  beforeUnpatch: () => unpatch(),
};

// Undoes afterPatch (the patcher's unpatchModule calls it).
function unpatch(): void {
  unpatchServers('http');
}
