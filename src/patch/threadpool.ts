// threadpool.ts: sizes libuv's threadpool for patch mode (CLI and preload) when the user did not.
import os = require('node:os');

/** The threadpool size patch mode asks for when UV_THREADPOOL_SIZE is unset. */
export const PATCH_THREADPOOL_SIZE = Math.min(1024, Math.max(32, 4 * os.availableParallelism()));

/**
 * In patch mode every blocking *Sync call of a fiber is a threadpool job, so a few
 * fibers blocked on a FIFO, a stalled NFS mount or a slow device would hold all four
 * of libuv's default threads and starve every other cooperative call. Sets
 * UV_THREADPOOL_SIZE when the user set none; libuv reads it once, when its pool
 * starts (on first use, or when the first fiber starts), so this must run before
 * either. Returns the size now in the environment (the user's, if set).
 */
export function sizeThreadpool(): string {
  const set = process.env.UV_THREADPOOL_SIZE;
  if (set !== undefined && set !== '') return set;
  process.env.UV_THREADPOOL_SIZE = String(PATCH_THREADPOOL_SIZE);
  return process.env.UV_THREADPOOL_SIZE;
}
