// core.copies.test.ts: two copies of greenstack in one process (npm installs versions side by side) share one hub, or the second fails to load with a typed error.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { runFixture } from './helpers/subprocess.js';

const root = path.join(__dirname, '..');

// A second install of the built package in its own directory (as under another
// dependency's node_modules); edit lets a test change its compiled code.
function copyPackage(t: ExecutionContext, edit?: (nativeJs: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greenstack-copy-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(path.join(root, 'build', 'Release', 'greenstack.node'), path.join(dir, 'build', 'Release', 'greenstack.node'));
  if (edit) {
    const file = path.join(dir, 'dist', 'core', 'native.js');
    fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
  }
  return dir;
}

test('a fiber of one copy blocks in the other copy\'s calls, and back', (t) => {
  const copy = copyPackage(t);
  const r = runFixture('two-copies.js', { args: [copy] });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim());
  t.is(out.error, undefined);
  t.true(out.distinctCopies, 'two module instances were loaded');
  t.is(out.innerValue, 'from B');
  t.true(out.eventSet);
  t.true(out.sameStats);
  t.deepEqual(out.nativeError, { a: true, b: true, notOther: true });
  t.is(out.outerValue, 'from A');
});

test('an incompatible second copy fails to load with a typed error naming both', (t) => {
  const copy = copyPackage(t, (js) => {
    const edited = js.replace(/const PROTOCOL = (\d+);/, (_, n: string) => `const PROTOCOL = ${Number(n) + 1};`);
    if (edited === js) throw new Error('PROTOCOL not found in dist/core/native.js');
    return edited;
  });
  const r = runFixture('two-copies.js', { args: [copy] });
  t.is(r.status, 0, r.stderr);
  const { loadError } = JSON.parse(r.stdout.trim());
  t.is(loadError.code, 'ERR_GREENSTACK_INCOMPATIBLE_COPY');
  t.true(loadError.typed);
  t.true(loadError.message.includes(copy), loadError.message);
  t.true(loadError.message.includes(fs.realpathSync(root)) || loadError.message.includes(root), loadError.message);
});
