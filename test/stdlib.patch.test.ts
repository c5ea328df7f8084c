// stdlib.patch.test.ts: monkeypatch mode: patchAll/patch*/getOriginal/isPatched in-process, and -r / --import greenstack/patch in subprocesses.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import test from 'ava';
import {
  getOriginal,
  isAvailable,
  isPatched,
  parsePatchList,
  patchAll,
  patchableModules,
  patchChildProcess,
  patchCrypto,
  patchFs,
  patchModule,
  patchZlib,
  spawn,
  unpatchAll,
  unpatchModule,
} from 'greenstack';
import * as gcp from 'greenstack/child_process';
import * as gcrypto from 'greenstack/crypto';
import * as gfs from 'greenstack/fs';
import * as gzlib from 'greenstack/zlib';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

const root = path.join(__dirname, '..');
const fixture = (name: string) => path.join(root, 'test/fixtures', name);

// The builtins as this process sees them (require: the patched object is this one).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeFs = require('node:fs') as Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeZlib = require('zlib') as Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeCp = require('child_process') as Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeCrypto = require('node:crypto') as Record<string, unknown>;
const originalRead = nodeFs.readFileSync;
const originalGzip = nodeZlib.gzipSync;

// These run in order: each patches more of this process.
test.serial('before patching: nothing is patched, getOriginal gives the builtin value', (t) => {
  for (const name of ['fs', 'child_process', 'zlib', 'crypto']) {
    t.false(isPatched(name), name);
    t.true(isAvailable(name), name);
  }
  t.is(getOriginal('fs', 'readFileSync'), originalRead);
  t.true(patchableModules.includes('net'));
});

test.serial('bad input: typed errors with stable codes', (t) => {
  t.throws(() => patchAll({ nope: true } as never), { code: 'ERR_INVALID_ARG_VALUE', message: /unknown module "nope"/ });
  t.throws(() => patchAll({ fs: 'yes' } as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => patchAll(5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => isPatched('os'), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => isPatched(1 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => getOriginal('fs', 2 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => parsePatchList('fs,bogus'), { code: 'ERR_INVALID_ARG_VALUE', message: /unknown module "bogus"/ });
  t.false(isPatched('fs'), 'a failed call patched nothing');
});

test.serial('parsePatchList understands lists, all, none and exclusions', (t) => {
  t.deepEqual(parsePatchList(''), {});
  t.deepEqual(parsePatchList('all'), {});
  t.deepEqual(parsePatchList('fs, zlib'), { fs: true, zlib: true });
  t.deepEqual(parsePatchList('-crypto'), { crypto: false });
  t.deepEqual(Object.values(parsePatchList('none')), patchableModules.map(() => false));
});

test.serial('patchZlib patches only zlib, with the declared functions; twice is a no-op', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  t.true(patchZlib());
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  // This file holds zlib.gzipSync in originalGzip (via an alias of require('zlib')): caught.
  t.true(warnings.some((w) => w.message.includes(__filename) && w.message.includes('captured zlib.gzipSync')));
  t.true(isPatched('zlib'));
  t.false(isPatched('fs'));
  t.is(nodeZlib.gzipSync, gzlib.gzipSync);
  t.is(getOriginal('zlib', 'gzipSync'), originalGzip);
  for (const [name, fn] of Object.entries(gzlib.implementsSync)) t.is(nodeZlib[name], fn, name);
  t.false(patchZlib());
  t.false(patchModule('zlib'));
  t.is(nodeZlib.gzipSync, gzlib.gzipSync);
  t.is(getOriginal('zlib', 'gzipSync'), originalGzip, 'the original survives a second patch');
  // ESM named imports see it (module.syncBuiltinESMExports).
  const esm = (await import('node:zlib')) as unknown as Record<string, unknown>;
  t.is(esm.gzipSync, gzlib.gzipSync);
  t.is((esm.default as Record<string, unknown>).gzipSync, gzlib.gzipSync);
});

test.serial('patchAll with an exclusion patches the rest and returns what it patched', (t) => {
  const done = patchAll({ crypto: false, warnCaptured: false });
  // Every available module but crypto and the already patched zlib (net/tls/http as they land).
  t.deepEqual(done, patchableModules.filter((n) => isAvailable(n) && n !== 'crypto' && n !== 'zlib'));
  t.true(done.includes('fs') && done.includes('child_process'));
  t.true(isPatched('fs'));
  t.true(isPatched('child_process'));
  t.false(isPatched('crypto'));
  t.is(nodeFs.readFileSync, gfs.readFileSync);
  t.is(nodeCp.execSync, gcp.execSync);
  t.is(getOriginal('fs', 'readFileSync'), originalRead);
  t.deepEqual(patchAll({ crypto: false }), [], 'already patched: nothing to do');
});

test.serial('patchFs/patchChildProcess/patchCrypto: per module, idempotent', (t) => {
  t.false(patchFs());
  t.false(patchChildProcess());
  t.true(patchCrypto());
  t.is(nodeCrypto.pbkdf2Sync, gcrypto.pbkdf2Sync);
  t.false(patchCrypto());
});

test.serial('patched functions are the same object for require, node: and ESM imports', async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  t.is(require('fs').readFileSync, require('node:fs').readFileSync);
  const esm = (await import('fs')) as unknown as Record<string, unknown>;
  const esmNode = (await import('node:fs')) as unknown as Record<string, unknown>;
  t.is(esm.readFileSync, gfs.readFileSync);
  t.is(esmNode.readFileSync, gfs.readFileSync);
  t.is((esm.default as Record<string, unknown>).readFileSync, gfs.readFileSync);
});

test.serial('patched fs is cooperative in a fiber and node:fs itself on the hub', async (t) => {
  t.is(nodeFs.existsSync, gfs.existsSync);
  t.true((nodeFs.existsSync as (p: string) => boolean)(__filename), 'on the hub');
  const sizes = await spawn(() => (nodeFs.readFileSync as (p: string) => Buffer)(__filename).length);
  t.is(sizes, (originalRead as (p: string) => Buffer)(__filename).length);
});

function node(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: root, env: { ...process.env, ...env }, timeout: 30_000 });
  t_lastStderr = r.stderr;
  return { status: r.status, json: JSON.parse(r.stdout.trim().split('\n').pop() || 'null') as Record<string, unknown> };
}
let t_lastStderr = '';

test.serial('node -r greenstack/patch: builtins patched at start, blocking calls block only their fiber', (t) => {
  const r = node(['-r', 'greenstack/patch', fixture('patch-preload.js')]);
  t.is(r.status, 0, t_lastStderr);
  t.deepEqual(r.json, { patched: [true, true, true, true], same: true, original: true, out: 'hi', ticked: true });
});

test.serial('node --import greenstack/patch: ESM named imports are the patched functions', (t) => {
  const r = node(['--import', 'greenstack/patch', fixture('patch-import.mjs')]);
  t.is(r.status, 0, t_lastStderr);
  t.deepEqual(r.json, { fs: true, zlib: true, named: true, scheme: true, default: true, require: true, gzip: true });
});

test.serial('GREENSTACK_PATCH picks the modules the entry patches', (t) => {
  const r = node(['--import', 'greenstack/patch', fixture('patch-import.mjs')], { GREENSTACK_PATCH: 'zlib' });
  t.is(r.status, 0, t_lastStderr);
  t.false(r.json.fs);
  t.true(r.json.zlib);
  t.true(r.json.gzip);
  t.false(r.json.named);
  const bad = spawnSync(process.execPath, ['-r', 'greenstack/patch', '-e', '0'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, GREENSTACK_PATCH: 'fs,nosuch' },
  });
  t.is(bad.status, 1);
  t.regex(bad.stderr, /ERR_INVALID_ARG_VALUE/);
});

test.serial('patching after a module captured an original warns and names it', (t) => {
  const r = node([fixture('patch-late.js')]);
  t.is(r.status, 0, t_lastStderr);
  const warnings = r.json.warnings as Array<{ name: string; code: string; message: string }>;
  const fsWarning = warnings.find((w) => w.message.includes('captured fs.'));
  const cpWarning = warnings.find((w) => w.message.includes('captured child_process.'));
  t.truthy(fsWarning, JSON.stringify(warnings));
  t.is(fsWarning!.name, 'GreenstackWarning');
  t.is(fsWarning!.code, 'GREENSTACK_CAPTURED_ORIGINAL');
  t.true(fsWarning!.message.includes(fixture('patch-capture.js')));
  t.regex(fsWarning!.message, /captured fs\.readFileSync, fs\.statSync/);
  t.regex(fsWarning!.message, /exports\.read/);
  t.regex(fsWarning!.message, /line 3/);
  t.truthy(cpWarning);
  t.regex(cpWarning!.message, /child_process\.execSync/);
  t.regex(cpWarning!.message, /line 5/);
  t.deepEqual(r.json.patched, patchableModules.filter(isAvailable));
});

test.serial('unpatchModule puts the originals back (and ESM imports follow); patching again works', async (t) => {
  t.true(unpatchModule('zlib'));
  t.false(isPatched('zlib'));
  t.is(nodeZlib.gzipSync, originalGzip);
  t.is(((await import('node:zlib')) as unknown as Record<string, unknown>).gzipSync, originalGzip);
  t.false(unpatchModule('zlib'));
  t.true(patchZlib());
  t.is(nodeZlib.gzipSync, gzlib.gzipSync);
  const undone = unpatchAll();
  t.true(undone.includes('fs') && undone.includes('zlib'));
  t.is(nodeFs.readFileSync, originalRead);
  t.false(isPatched('fs'));
});
