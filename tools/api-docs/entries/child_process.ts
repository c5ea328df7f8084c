// tools/api-docs/entries/child_process.ts: what the API reference documents for `greenstack/child_process` (greenstack's own names; re-exported Node names are left out as externals).
/**
 * A drop-in for `node:child_process` with cooperative `spawnSync`, `execSync` and `execFileSync`.
 *
 * @module greenstack/child_process
 */
export * from '../../../src/io/child_process.js';
