// tools/api-docs/entries/index.ts: what the API reference documents for `greenstack` (greenstack's own names; re-exported Node names are left out as externals).
/**
 * Fibers, the blocking calls, the cooperative toolkit and the patcher: everything `require("greenstack")` gives.
 *
 * @module greenstack
 */
export * from '../../../src/index.js';
