// patcher.ts: monkeypatch mode: replaces Node builtins' members with the cooperative ones each module declares, and keeps the originals.
//
// The patcher knows nothing about fs or zlib: it loads a cooperative module
// (./fs.js, ./net.js...), reads its `cooperative` declaration (cooperative.ts)
// and sets each declared property on the builtin's exports object, which is the
// one object require('fs'), require('node:fs') and ESM's default import share;
// module.syncBuiltinESMExports() then updates ESM named imports. A module that
// is not written yet (net/tls/http before issue 5 lands) is skipped by patchAll.
import fs = require('node:fs');
import Module = require('node:module');
import path = require('node:path');
import { InvalidArgTypeError, InvalidArgValueError, setPatchModeHint, validateOptions } from '../core/errors.js';
import { reportCallsOnHub, type CooperativeModule } from '../io/cooperative.js';
import { installAtomicGuards, uninstallAtomicGuards } from './atomic.js';
import { withContinuedCallback } from './continuations.js';

/**
 * The builtins the patcher can patch, in patch order, and the greenstack module
 * that declares the replacements for each. A new cooperative module adds a line.
 */
const MODULES: ReadonlyArray<readonly [name: string, file: string]> = [
  ['fs', '../io/fs.js'],
  ['child_process', '../io/child_process.js'],
  ['zlib', '../io/zlib.js'],
  ['crypto', '../io/crypto.js'],
  ['net', '../net/net.js'],
  ['tls', '../net/tls.js'],
  ['http', '../net/http.js'],
  ['https', '../net/https.js'],
  ['dns', '../io/dns.js'],
  ['async_hooks', './async_hooks.js'],
  ['events', './events.js'],
  ['timers', './timers.js'],
];

/** The names patchAll() knows (some may not be available in this build). */
export const patchableModules: readonly string[] = MODULES.map(([name]) => name);

export type PatchOptions = Partial<Record<string, boolean>> & {
  fs?: boolean;
  child_process?: boolean;
  zlib?: boolean;
  crypto?: boolean;
  /** Warn about modules that captured an original before patching (default true). */
  warnCaptured?: boolean;
};

interface State {
  patched: boolean;
  /** The values the patch replaced, by property name. */
  originals: Map<string, unknown>;
}

const states = new Map<string, State>();
const dist = path.join(__dirname, '..') + path.sep;
// Captured before anything is patched: the scan below reads sources with it.
const readFileSync = fs.readFileSync;
const statSync = fs.statSync;

function moduleFile(name: string): string {
  const entry = MODULES.find(([n]) => n === name);
  if (entry === undefined) {
    throw new InvalidArgValueError('module', `must be one of ${patchableModules.join(', ')}`, name);
  }
  return path.join(__dirname, entry[1]);
}

/** True when greenstack has a cooperative module for this builtin in this build. */
export function isAvailable(name: string): boolean {
  validateName(name);
  return fs.existsSync(moduleFile(name));
}

function declaration(name: string): CooperativeModule {
  const file = moduleFile(name);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const decl = (require(file) as { cooperative?: CooperativeModule }).cooperative;
  if (decl === undefined || decl.module !== name) {
    throw new InvalidArgValueError('module', `has no cooperative declaration in ${file}`, name);
  }
  return decl;
}

function validateName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidArgTypeError('module', 'of type string', name);
  moduleFile(name);
}

function builtin(name: string): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`node:${name}`) as Record<string, unknown>;
}

/**
 * Patches one builtin from its cooperative declaration. Returns false (and does
 * nothing) if it was already patched.
 */
export function patchModule(name: string, options?: { warnCaptured?: boolean }): boolean {
  validateName(name);
  const opts = validateOptions('options', options);
  return patchOne(name, opts.warnCaptured !== false, true);
}

// sync: update ESM named exports now (patchAll does it once, after the last module).
function patchOne(name: string, warn: boolean, sync: boolean): boolean {
  const state = states.get(name);
  if (state?.patched) return false;
  const decl = declaration(name);
  const target = builtin(decl.module);
  const originals = new Map<string, unknown>();
  for (const prop of Object.keys(decl.implements)) originals.set(prop, target[prop]);
  if (warn) warnCaptured(name, originals);
  for (const [prop, value] of Object.entries(decl.implements)) {
    Object.defineProperty(target, prop, { value, writable: true, enumerable: true, configurable: true });
  }
  for (const prop of decl.continues ?? []) {
    const fn = target[prop];
    if (typeof fn !== 'function' || originals.has(prop)) continue;
    originals.set(prop, fn);
    const value = withContinuedCallback(fn as (...args: unknown[]) => unknown);
    Object.defineProperty(target, prop, { value, writable: true, enumerable: true, configurable: true });
  }
  if (states.size === 0) {
    installAtomicGuards();
    reportCallsOnHub(true);
    setPatchModeHint(true);
  }
  states.set(name, { patched: true, originals });
  decl.afterPatch?.();
  if (sync) Module.syncBuiltinESMExports();
  return true;
}

/**
 * Patches every available builtin, except those turned off in options
 * (`{ crypto: false }`), or only those turned on when options names some with
 * true and none with false. Returns the modules this call patched.
 */
export function patchAll(options?: PatchOptions): string[] {
  const opts = validateOptions('options', options);
  const selected = selectModules(opts);
  const done: string[] = [];
  // One read of each loaded file for all the modules' capture scans.
  scanned = new Map();
  try {
    for (const name of selected) {
      if (patchOne(name, opts.warnCaptured !== false, false)) done.push(name);
    }
  } finally {
    scanned = undefined;
    if (done.length > 0) Module.syncBuiltinESMExports();
  }
  return done;
}

function selectModules(opts: Record<string, unknown>): string[] {
  const on: string[] = [];
  const off: string[] = [];
  for (const [key, value] of Object.entries(opts)) {
    if (key === 'warnCaptured') {
      if (value !== undefined && typeof value !== 'boolean') throw new InvalidArgTypeError(`options.${key}`, 'of type boolean', value);
      continue;
    }
    if (!patchableModules.includes(key)) {
      throw new InvalidArgValueError('options', `has an unknown module "${key}" (known: ${patchableModules.join(', ')})`, key);
    }
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new InvalidArgTypeError(`options.${key}`, 'of type boolean', value);
    (value ? on : off).push(key);
  }
  const onlyListed = on.length > 0 && off.length === 0;
  return patchableModules.filter((name) => {
    if (onlyListed) return on.includes(name) && available(name, true);
    return !off.includes(name) && available(name, on.includes(name));
  });
}

// A module asked for by name must exist; with "all", the ones not built are skipped.
function available(name: string, required: boolean): boolean {
  if (fs.existsSync(moduleFile(name))) return true;
  if (required) throw new InvalidArgValueError('options', `asks for "${name}", which this greenstack does not provide yet`, name);
  return false;
}

/**
 * Puts the builtin's original members back (and runs the declaration's
 * beforeUnpatch). For tests and tools: code that captured a patched function
 * keeps it. Returns false if the module was not patched.
 */
export function unpatchModule(name: string): boolean {
  validateName(name);
  const state = states.get(name);
  if (state?.patched !== true) return false;
  const decl = declaration(name);
  decl.beforeUnpatch?.();
  const target = builtin(decl.module);
  for (const [prop, value] of state.originals) {
    Object.defineProperty(target, prop, { value, writable: true, enumerable: true, configurable: true });
  }
  states.delete(name);
  if (states.size === 0) {
    uninstallAtomicGuards();
    reportCallsOnHub(false);
    setPatchModeHint(false);
  }
  Module.syncBuiltinESMExports();
  return true;
}

/** unpatchModule() for every patched builtin; returns the modules it unpatched. */
export function unpatchAll(): string[] {
  return [...patchableModules].reverse().filter((name) => unpatchModule(name));
}

export function patchFs(): boolean {
  return patchModule('fs');
}

export function patchChildProcess(): boolean {
  return patchModule('child_process');
}

export function patchZlib(): boolean {
  return patchModule('zlib');
}

export function patchCrypto(): boolean {
  return patchModule('crypto');
}

/** Whether patch*() has patched this builtin. */
export function isPatched(module: string): boolean {
  validateName(module);
  return states.get(module)?.patched === true;
}

/**
 * The builtin's own value of a member, patched or not (what `require(module)[name]`
 * was before greenstack replaced it).
 */
export function getOriginal(module: string, name: string): unknown {
  validateName(module);
  if (typeof name !== 'string') throw new InvalidArgTypeError('name', 'of type string', name);
  const state = states.get(module);
  if (state?.patched && state.originals.has(name)) return state.originals.get(name);
  return builtin(module)[name];
}

/** Parses a GREENSTACK_PATCH-style list ("fs,child_process", "all", "none", "-crypto") into options. */
export function parsePatchList(spec: string): PatchOptions {
  if (typeof spec !== 'string') throw new InvalidArgTypeError('spec', 'of type string', spec);
  const out: PatchOptions = {};
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '' || item === 'all') continue;
    if (item === 'none') {
      for (const name of patchableModules) out[name] = false;
      continue;
    }
    const negate = item.startsWith('-');
    const name = negate ? item.slice(1) : item;
    if (!patchableModules.includes(name)) {
      throw new InvalidArgValueError('GREENSTACK_PATCH', `names an unknown module "${name}" (known: ${patchableModules.join(', ')}, all, none)`, spec);
    }
    out[name] = !negate;
  }
  return out;
}

// --- capture detection ------------------------------------------------------------
//
// A module loaded before patching may hold an original in a variable (`const {
// readFileSync } = require('fs')`): its calls keep blocking the whole process.
// Two checks over the CommonJS modules in require.cache (greenstack's own
// skipped): (1) exports: a module whose exports object is, or has an own property
// holding, an original (exact); (2) source: a destructuring of require('<mod>'), a
// `= require('<mod>').name` without a call, or `= alias.name` of a variable bound
// to require('<mod>') (a heuristic by file and line: it can flag a read inside a
// function that runs later, and misses captures made through other code paths).
// ESM imports of builtins are live bindings that syncBuiltinESMExports updates:
// they capture nothing. Code bundled into one file, or loaded by other loaders,
// is not seen.

const MAX_SCAN_BYTES = 512 * 1024;
// The CLI's entry (bin/greenstack.js) is ours, as dist/ is: not scanned.
const ownBin = path.join(__dirname, '..', '..', 'bin') + path.sep;
// Sources read during one patchAll() (null: not scanned), else undefined.
let scanned: Map<string, string | null> | undefined;

function warnCaptured(name: string, originals: Map<string, unknown>): void {
  const byValue = new Map<unknown, string>();
  for (const [prop, value] of originals) if (typeof value === 'function') byValue.set(value, prop);
  const req = `require\\(\\s*['"](?:node:)?${name}['"]\\s*\\)`;
  const destructure = new RegExp(`\\{([^{}]*)\\}\\s*=\\s*${req}`, 'g');
  const member = new RegExp(`=\\s*${req}\\s*\\.\\s*([A-Za-z_$][\\w$]*)(?!\\s*[\\w$(])`, 'g');
  const alias = new RegExp(`(?:const|let|var)\\s+([A-Za-z_$][\\w$]*)\\s*=\\s*${req}`, 'g');
  for (const [file, mod] of Object.entries(require.cache)) {
    if (mod === undefined || file.startsWith(dist) || file.startsWith(ownBin) || !path.isAbsolute(file)) continue;
    const found = new Set<string>();
    const where: string[] = [];
    const exp = mod.exports as unknown;
    if (byValue.has(exp)) found.add(byValue.get(exp)!);
    if ((typeof exp === 'object' || typeof exp === 'function') && exp !== null) {
      for (const key of Object.keys(exp)) {
        const d = Object.getOwnPropertyDescriptor(exp, key);
        if (d !== undefined && 'value' in d && byValue.has(d.value)) {
          found.add(byValue.get(d.value)!);
          where.push(`exports.${key}`);
        }
      }
    }
    for (const [prop, line] of scanSource(file, destructure, member, alias, originals)) {
      found.add(prop);
      where.push(`line ${line}`);
    }
    if (found.size === 0) continue;
    const names = [...found].sort().map((p) => `${name}.${p}`).join(', ');
    process.emitWarning(
      `greenstack: ${file} (${where.join(', ') || 'exports'}) captured ${names} before ${name} was patched: ` +
        'its calls block the whole process, not just their fiber. Patch before loading it ' +
        '(node -r greenstack/patch, or run it with greenstack).',
      { type: 'GreenstackWarning', code: 'GREENSTACK_CAPTURED_ORIGINAL' },
    );
  }
}

function sourceOf(file: string): string | null {
  if (!/\.(c?js|ts|cts)$/.test(file)) return null;
  try {
    return statSync(file).size > MAX_SCAN_BYTES ? null : readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function scanSource(
  file: string,
  destructure: RegExp,
  member: RegExp,
  alias: RegExp,
  originals: Map<string, unknown>,
): Array<[string, number]> {
  const source = scanned?.has(file) === true ? scanned.get(file)! : sourceOf(file);
  scanned?.set(file, source);
  if (source === null) return [];
  const hits: Array<[string, number]> = [];
  const lineOf = (index: number) => source.slice(0, index).split('\n').length;
  for (const m of source.matchAll(destructure)) {
    for (const part of m[1]!.split(',')) {
      const key = part.split(':')[0]!.trim();
      if (originals.has(key)) hits.push([key, lineOf(m.index!)]);
    }
  }
  for (const m of source.matchAll(member)) {
    if (originals.has(m[1]!)) hits.push([m[1]!, lineOf(m.index!)]);
  }
  for (const m of source.matchAll(alias)) {
    const use = new RegExp(`=\\s*${m[1]!.replace(/\$/g, '\\$')}\\s*\\.\\s*([A-Za-z_$][\\w$]*)\\s*(?=[;,)\\n])`, 'g');
    for (const u of source.matchAll(use)) {
      if (originals.has(u[1]!)) hits.push([u[1]!, lineOf(u.index!)]);
    }
  }
  return hits;
}
