// tools/api-docs/entries/fs.ts: what the API reference documents for `greenstack/fs` (greenstack's own names; re-exported Node names are left out as externals).
/**
 * A drop-in for `node:fs` (everything it exports is there) whose `*Sync` functions block only the calling fiber.
 *
 * @module greenstack/fs
 */
export * from '../../../src/io/fs.js';
