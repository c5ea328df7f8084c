// net.ts: socket fixtures for greenstack/net tests: connected pairs on 127.0.0.1, closing servers, a free port, waiting for a condition.
import * as net from 'node:net';
import { once } from 'node:events';

export interface Pair {
  /** The connecting side. */
  client: net.Socket;
  /** The accepted side. */
  server: net.Socket;
  /** Destroys both sockets (call from t.teardown). */
  close(): void;
}

/**
 * Two connected node:net sockets on 127.0.0.1 (made on the hub with node's own
 * API); the listening socket is closed once they are connected.
 */
export async function socketPair(options: { allowHalfOpen?: boolean } = {}): Promise<Pair> {
  const listener = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as net.AddressInfo;
  const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
  await once(client, 'connect');
  const [server] = await accepted;
  listener.close();
  return {
    client,
    server,
    close() {
      client.destroy();
      server.destroy();
    },
  };
}

/** A node:net Server (http, tls and greenstack's included) or a StreamServer. */
type AnyServer = net.Server | { readonly started: boolean; stop(options?: { timeout?: number }): void };

/** Closes a server a test made, whatever the test did; for t.teardown (a no-op once closed). */
export function closeServer(server: AnyServer): void {
  if (server instanceof net.Server) {
    if (server.listening) server.close();
  } else if (server.started) server.stop({ timeout: 0 });
}

/** A port nothing listens on right now (bound, read, released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as net.AddressInfo;
  s.close();
  await once(s, 'close');
  return port;
}

/** Waits (on the hub) until cond() is true; throws after ms. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves after ms. */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
