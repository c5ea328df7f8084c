// patch.ts: the `greenstack/patch` entry: loading it patches the builtins greenstack makes cooperative (node -r greenstack/patch, node --import greenstack/patch).
//
// GREENSTACK_PATCH picks the modules: unset or "all" patches every available one;
// "fs,child_process" only those; "-crypto" all but crypto; "none" nothing. The item
// "fibers" adds the node-fibers alias, here and in child Node processes (NODE_OPTIONS).
import { enableFibersAlias, splitFibersItem } from './fibers-option.js';
import { parsePatchList, patchAll } from './patcher.js';
import { sizeThreadpool } from './threadpool.js';

sizeThreadpool();

const { spec, fibers } = splitFibersItem(process.env.GREENSTACK_PATCH ?? '');
if (fibers) enableFibersAlias();

/** The modules this entry patched when it was loaded. */
export const patched: readonly string[] = Object.freeze(patchAll(parsePatchList(spec)));
