// tools/api-docs/entries/future.ts: what the API reference documents for `greenstack/future` (node-fibers 5's Future).
/**
 * node-fibers 5's `Future`, built on greenstack fibers: `module.exports` is the `Future` class.
 *
 * @module greenstack/future
 */
import Future = require('../../../src/compat/future.js');
export { Future };
