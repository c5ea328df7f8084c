// tools/api-docs/entries/patch.ts: what the API reference documents for `greenstack/patch` (greenstack's own names; re-exported Node names are left out as externals).
/**
 * Patch mode at start-up: `node -r greenstack/patch` or `node --import greenstack/patch`; `GREENSTACK_PATCH` picks the modules.
 *
 * @module greenstack/patch
 */
export * from '../../../src/patch/patch.js';
