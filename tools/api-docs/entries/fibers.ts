// tools/api-docs/entries/fibers.ts: what the API reference documents for `greenstack/fibers` (node-fibers 5's Fiber).
/**
 * node-fibers 5's `Fiber`, built on greenstack fibers: `module.exports` is the `Fiber` function.
 *
 * @module greenstack/fibers
 */
import Fiber = require('../../../src/compat/fibers.js');
export { Fiber };
