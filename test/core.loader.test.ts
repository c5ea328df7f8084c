// core.loader.test.ts: GREENSTACK_ADDON names the one addon file to load (scripts/asan.sh's build); a bad value is a BindingError, never a fall back to another addon.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';

const root = path.join(__dirname, '..');

// Loads greenstack in a fresh process with GREENSTACK_ADDON=value; what require threw.
function loadWith(value: string): { code?: string; name?: string; message?: string } {
  const script = `
    try { require(${JSON.stringify(path.join(root, 'dist', 'index.js'))}); console.log('{}'); }
    catch (e) { console.log(JSON.stringify({ code: e.code, name: e.name, message: e.message })); }`;
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, GREENSTACK_ADDON: value },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`the child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}

test('GREENSTACK_ADDON must be an absolute path', (t) => {
  const e = loadWith('build/Release/greenstack.node');
  t.is(e.code, 'ERR_GREENSTACK_NO_BINDING');
  t.regex(e.message ?? '', /GREENSTACK_ADDON=build\/Release\/greenstack\.node: not an absolute path/);
});

test('GREENSTACK_ADDON naming a missing file is a BindingError', (t) => {
  const e = loadWith(path.join(root, 'no-such-dir', 'greenstack.node'));
  t.is(e.code, 'ERR_GREENSTACK_NO_BINDING');
  t.regex(e.message ?? '', /no such file\. Unset it to use the normal lookup/);
});

test('GREENSTACK_ADDON naming a file that is no addon fails, without falling back to build/', (t) => {
  t.regex(loadWith(path.join(root, 'package.json')).message ?? '', /package\.json: not a \.node file/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greenstack-addon-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fake = path.join(dir, 'greenstack.node');
  fs.writeFileSync(fake, 'not a shared object');
  const e = loadWith(fake);
  t.is(e.code, 'ERR_GREENSTACK_NO_BINDING');
  t.regex(e.message ?? '', /greenstack\.node: does not load \(/);
});
