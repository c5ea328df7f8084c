// tools/api-docs/entries/crypto.ts: what the API reference documents for `greenstack/crypto` (greenstack's own names; re-exported Node names are left out as externals).
/**
 * A drop-in for `node:crypto` whose CPU-heavy `*Sync` functions run on the threadpool in a fiber.
 *
 * @module greenstack/crypto
 */
export * from '../../../src/io/crypto.js';
