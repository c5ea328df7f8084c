// events.ts: patch mode for node:events (the patcher's declaration): listeners registered inside a fiber run in a fiber (continuations.ts).
import type { CooperativeModule } from '../io/cooperative.js';
import { installEmitterContinuations, installFetchScope, uninstallEmitterContinuations, uninstallFetchScope } from './continuations.js';

// Nothing of node:events' exports is replaced: the change is EventEmitter.prototype's
// on/addListener/prependListener (which note the fiber) and emit, and what node's own
// fetch registers is left out of it (continuations.ts).
export const cooperative: CooperativeModule = {
  module: 'events',
  implements: {},
  afterPatch: () => {
    installEmitterContinuations();
    installFetchScope();
  },
  beforeUnpatch: () => {
    uninstallFetchScope();
    uninstallEmitterContinuations();
  },
};
