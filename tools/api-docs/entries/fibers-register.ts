// tools/api-docs/entries/fibers-register.ts: what the API reference documents for `greenstack/fibers/register` (greenstack's own names; re-exported Node names are left out as externals).
/**
 * Makes `require("fibers")` and `require("fibers/future")` resolve to greenstack's modules.
 *
 * @module greenstack/fibers/register
 */
export * from '../../../src/compat/fibers-preload.js';
