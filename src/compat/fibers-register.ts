// fibers-register.ts: makes require('fibers') / require('fibers/future') (and import) load greenstack/fibers and greenstack/future.
import Module = require('node:module');
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

// The node-fibers package's own file names count too (`require('fibers/future.js')`).
const ALIASES = new Map<string, string>([
  ['fibers', 'fibers.js'],
  ['fibers/fibers', 'fibers.js'],
  ['fibers/fibers.js', 'fibers.js'],
  ['fibers/future', 'future.js'],
  ['fibers/future.js', 'future.js'],
]);
for (const [name, file] of ALIASES) ALIASES.set(name, path.join(__dirname, file));

type ResolveFilename = (request: string, ...rest: unknown[]) => string;
interface ModuleInternals {
  _resolveFilename: ResolveFilename;
  register?: (specifier: string, options?: { data?: unknown }) => void;
  registerHooks?: (hooks: {
    resolve: (specifier: string, context: unknown, next: (s: string, c: unknown) => unknown) => unknown;
  }) => unknown;
}

// ESM resolve hook for Node versions without module.registerHooks: runs on the loader thread.
const ASYNC_HOOKS = `
let aliases = new Map();
export function initialize(data) { aliases = new Map(data); }
export async function resolve(specifier, context, next) {
  const url = aliases.get(specifier);
  return url === undefined ? next(specifier, context) : { url, shortCircuit: true };
}`;

let registered = false;

/**
 * Maps the specifiers 'fibers' and 'fibers/future' (and 'fibers/fibers', with or
 * without '.js') to greenstack/fibers and greenstack/future, for require() and for
 * import, so unmodified node-fibers code runs on greenstack. Idempotent; it takes
 * precedence over an installed node-fibers package (which does not load on Node >= 16).
 */
function registerFibersAlias(): void {
  if (registered) return;
  registered = true;
  const M = Module as unknown as ModuleInternals;
  const original = M._resolveFilename;
  M._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    return original.call(this, ALIASES.get(request) ?? request, ...rest);
  };
  const urls = [...ALIASES].map(([name, file]): [string, string] => [name, pathToFileURL(file).href]);
  if (typeof M.registerHooks === 'function') {
    const byName = new Map(urls);
    M.registerHooks({
      resolve(specifier, context, next) {
        const url = byName.get(specifier);
        return url === undefined ? next(specifier, context) : { url, format: 'commonjs', shortCircuit: true };
      },
    });
  } else if (typeof M.register === 'function') {
    M.register(`data:text/javascript,${encodeURIComponent(ASYNC_HOOKS)}`, { data: urls });
  }
}

export { registerFibersAlias };
