// fibers-option.ts: the "fibers" item of GREENSTACK_PATCH / `greenstack --fibers`: the node-fibers alias here and in child Node processes.
import * as path from 'node:path';
import { registerFibersAlias } from '../compat/fibers-register.js';

/**
 * Takes the "fibers" item out of a GREENSTACK_PATCH-style list: it is not a builtin to
 * patch but the opt-in node-fibers alias ("all" does not include it; "-fibers" turns it off).
 */
export function splitFibersItem(spec: string): { spec: string; fibers: boolean } {
  let fibers = false;
  const rest: string[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === 'fibers') fibers = true;
    else if (item === '-fibers') fibers = false;
    else rest.push(raw);
  }
  return { spec: rest.join(','), fibers };
}

/**
 * Registers the 'fibers' aliases in this process and adds their preload to NODE_OPTIONS,
 * so Node processes this program starts (which inherit its environment) have them too.
 */
export function enableFibersAlias(): void {
  registerFibersAlias();
  const preload = path.join(__dirname, '..', 'compat', 'fibers-preload.js');
  const current = process.env.NODE_OPTIONS ?? '';
  if (current.includes(preload)) return;
  // NODE_OPTIONS takes double-quoted values with backslash escapes (for paths with spaces).
  const quoted = `"${preload.replace(/[\\"]/g, '\\$&')}"`;
  process.env.NODE_OPTIONS = `${current === '' ? '' : `${current} `}--require ${quoted}`;
}
