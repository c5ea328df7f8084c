// tools/api-docs/entries/http.ts: what the API reference documents for `greenstack/http` (greenstack's own names; re-exported Node names are left out as externals).
/**
 * A drop-in for `node:http` whose servers run each request handler in its own fiber.
 *
 * @module greenstack/http
 */
export * from '../../../src/net/http.js';
