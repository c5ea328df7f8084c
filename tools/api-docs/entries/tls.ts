// tools/api-docs/entries/tls.ts: what the API reference documents for `greenstack/tls` (greenstack's own names; re-exported Node names are left out as externals).
/**
 * A drop-in for `node:tls` with blocking-style TLS sockets and servers.
 *
 * @module greenstack/tls
 */
export * from '../../../src/net/tls.js';
