// timers.ts: patch mode for node:timers (the patcher's declaration): timers and immediates set inside a fiber run their callback in a fiber (continuations.ts).
import type { CooperativeModule } from '../io/cooperative.js';
import { installTimerContinuations, timerContinuations, uninstallTimerContinuations } from './continuations.js';

const replacements = timerContinuations();

// The globals and process.nextTick follow the module's exports (afterPatch).
export const cooperative: CooperativeModule = {
  module: 'timers',
  implements: replacements,
  afterPatch: () => installTimerContinuations(replacements),
  beforeUnpatch: uninstallTimerContinuations,
};
