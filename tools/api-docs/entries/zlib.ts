// tools/api-docs/entries/zlib.ts: what the API reference documents for `greenstack/zlib` (greenstack's own names; re-exported Node names are left out as externals).
/**
 * A drop-in for `node:zlib` whose `*Sync` functions run on the threadpool in a fiber.
 *
 * @module greenstack/zlib
 */
export * from '../../../src/io/zlib.js';
