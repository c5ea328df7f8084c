// trace.ts: the node:diagnostics_channel channels greenstack publishes fiber events on.
import * as dc from 'node:diagnostics_channel';
import type { Switchable } from './hub.js';

/** @internal Fibers started and not yet dead (Fiber instances), for dumpFibers(). */
export const startedFibers = new Set<Switchable>();

/** `{ fiber, parent }` when a fiber is started (parent: the fiber that started it, or null). */
export const spawnChannel = dc.channel('greenstack:spawn');
/** `{ fiber, into }`: the hub switched into the fiber (into: true) or the fiber switched back out. */
export const switchChannel = dc.channel('greenstack:switch');
/** `{ fiber, what }`: the fiber is about to suspend; what names the call it blocks in. */
export const blockChannel = dc.channel('greenstack:block');
/** `{ fiber }`: a suspended fiber was made ready to run (its wait is over). */
export const wakeChannel = dc.channel('greenstack:wake');
/** `{ fiber, failed, result }` when a fiber is dead (returned, threw, or was killed). */
export const endChannel = dc.channel('greenstack:end');

/** True when anybody subscribes to a channel the hub publishes from its switch path. */
export function switchTraced(): boolean {
  return switchChannel.hasSubscribers || blockChannel.hasSubscribers || wakeChannel.hasSubscribers;
}
