// https.ts: patch mode for node:https (the patcher's declaration): 'request' listeners of every https.Server run in a fiber per request.
//
// Not a public entry point (package.json has no ./https): https servers get
// fibers per request from patch mode; greenstack/http's Server covers plain http.
import type { CooperativeModule } from '../io/cooperative.js';
import { patchServers, unpatchServers } from './servers.js';

export const cooperative: CooperativeModule = {
  module: 'https',
  implements: {},
  afterPatch() {
    patchServers('https');
  },
  beforeUnpatch: () => unpatch(),
};

// Undoes afterPatch (the patcher's unpatchModule calls it).
function unpatch(): void {
  unpatchServers('https');
}
