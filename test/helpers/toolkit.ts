// toolkit.ts: helpers for the toolkit tests: wait until spawned or woken fibers have run up to their next park.
import { liveFibers, runtimeStats } from '../../dist/core/internal.js';

/**
 * Resolves once every live fiber is suspended (parked or sleeping) on two hub turns
 * in a row: fibers just spawned have reached their blocking call, fibers just woken
 * have run. Ordering tests use it instead of guessing a delay (bounded at 5 s).
 */
export async function settle(): Promise<void> {
  const deadline = Date.now() + 5000;
  let stable = 0;
  while (stable < 2 && Date.now() < deadline) {
    await new Promise((r) => setImmediate(r));
    stable = liveFibers() === runtimeStats().suspended ? stable + 1 : 0;
  }
}

/** Resolves once no fiber is alive (bounded at 5 s): children a test left running have ended. */
export async function fibersDone(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (liveFibers() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}
