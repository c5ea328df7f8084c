// tools/api-docs/entries/net.ts: what the API reference documents for `greenstack/net` (greenstack's own names; re-exported Node names are left out as externals).
/**
 * A drop-in for `node:net` with blocking-style sockets and servers: one fiber per connection.
 *
 * @module greenstack/net
 */
export * from '../../../src/net/net.js';
