// stdlib.threadpool.test.ts: patch mode sizes libuv's threadpool, so fibers blocked on FIFOs do not starve other cooperative calls.
import { spawnSync } from 'node:child_process';
import fs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { checkLeaks } from './helpers/leaks.js';
import { PATCH_THREADPOOL_SIZE } from '../dist/patch/threadpool.js';

checkLeaks(test);

const root = path.join(__dirname, '..');
const bin = path.join(root, 'bin/greenstack.js');
const preload = path.join(root, 'dist/patch/patch.js');
const fixture = path.join(root, 'test/fixtures/threadpool-fifo.js');

function run(t: ExecutionContext, args: string[], env: Record<string, string | undefined>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-threadpool-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The probe's statSync must use the threadpool (a quick call would run in place).
  const fullEnv: Record<string, string | undefined> = { ...process.env, GREENSTACK_IN_PLACE: '0', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete fullEnv[k];
  const r = spawnSync(process.execPath, [...args, fixture, dir], { encoding: 'utf8', env: fullEnv, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: `${r.signal ?? ""} ${r.error?.message ?? ""} ${r.stderr}` };
}

for (const [mode, args] of [
  ['the CLI', [bin]],
  ['the preload', ['-r', preload]],
] as const) {
  test.serial(`${mode}: six fibers blocked opening FIFOs leave the pool room for another fiber's statSync`, (t) => {
    const r = run(t, [...args], { UV_THREADPOOL_SIZE: undefined });
    t.is(r.status, 0, r.stderr);
    t.deepEqual(r.stdout.trim().split('\n'), [`UV_THREADPOOL_SIZE=${PATCH_THREADPOOL_SIZE}`, 'statSync done', 'readers done']);
  });
}

test.serial("a UV_THREADPOOL_SIZE the user set is kept (and it is libuv's size: 6 blocked fibers starve a pool of 4)", (t) => {
  const r = run(t, [bin], { UV_THREADPOOL_SIZE: '4', STARVED_AFTER_MS: '2000' });
  t.is(r.status, 0, r.stderr);
  // The fixture's bound (not a timing assertion): the starved statSync only runs
  // once the fixture gave up waiting and released the readers.
  t.deepEqual(r.stdout.trim().split('\n'), ['UV_THREADPOOL_SIZE=4', 'statSync starved', 'statSync done', 'readers done']);
});

test('the size patch mode picks: at least 32, 4 per CPU, at most 1024', (t) => {
  t.is(PATCH_THREADPOOL_SIZE, Math.min(1024, Math.max(32, 4 * os.availableParallelism())));
});
