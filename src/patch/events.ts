// events.ts: patch mode for node:events (the patcher's declaration): listeners registered inside a fiber run in a fiber (continuations.ts).
import type { CooperativeModule } from '../io/cooperative.js';
import { installEmitterContinuations, uninstallEmitterContinuations } from './continuations.js';

// Nothing of node:events' exports is replaced: the change is EventEmitter.prototype's
// on/addListener/prependListener (which note the fiber) and emit.
export const cooperative: CooperativeModule = {
  module: 'events',
  implements: {},
  afterPatch: installEmitterContinuations,
  beforeUnpatch: uninstallEmitterContinuations,
};
