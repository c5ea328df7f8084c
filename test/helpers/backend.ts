// backend.ts: which backend this test process's fibers (and its fixtures', same environment) run on.
import { backendStatus } from '../../dist/core/internal.js';

/** True when fibers run on carrier threads here (GREENSTACK_BACKEND, or what auto chose). */
export function onCarriers(): boolean {
  return backendStatus().active === 'carrier';
}
