// thread-affine.ts: Node APIs that keep per-OS-thread state run on the hub's thread when a fiber on a carrier calls them.
import Module = require('node:module');
import type * as TLS from 'node:tls';
import { activeBackend } from './backend.js';
import { hub } from './hub.js';

// Marks the wrapper, so a second copy of greenstack in the process does not wrap it again.
const WRAPPED = Symbol.for('greenstack.threadAffine');

/**
 * Runs fn on the hub's OS thread when called from a fiber on a carrier, else in place;
 * either way as a plain synchronous call (Hub.callOnHubThread: nothing else runs).
 */
export function onHubThread<T>(fn: () => T): T {
  return hub.current === null || activeBackend() === 'fast' ? fn() : hub.callOnHubThread(fn);
}

/**
 * On carriers, before the first fiber runs: node:tls's createSecureContext, which
 * tls.connect(), TLS servers and https agents look up on the module, makes its context
 * on the hub's thread. Node 24 keeps the default root-certificate store per OS thread
 * and registers its cleanup once per thread under one key: a second thread that makes
 * a context with the default CAs aborts the process (CleanupQueue::Add).
 */
export function guardThreadAffine(): void {
  if (activeBackend() === 'fast') return;
  // Loaded here, not at import: only carrier processes pay for it (~2 ms).
  const tls = require('node:tls') as typeof TLS;
  const original = tls.createSecureContext as typeof tls.createSecureContext & { [WRAPPED]?: true };
  if (original[WRAPPED]) return;
  const createSecureContext = function createSecureContext(options?: TLS.SecureContextOptions): TLS.SecureContext {
    return onHubThread(() => original(options));
  };
  Object.defineProperty(createSecureContext, WRAPPED, { value: true });
  Object.defineProperty(tls, 'createSecureContext', { value: createSecureContext, writable: true, enumerable: true, configurable: true });
  Module.syncBuiltinESMExports();
}
