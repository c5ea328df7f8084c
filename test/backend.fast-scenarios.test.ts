// backend.fast-scenarios.test.ts: runtime features inside fibers on the fast backend, each run in a subprocess: debugger stepping, profilers, heap snapshots, Atomics.wait, WebAssembly traps, vm, workers; a stripped node binary.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { fixturesDir, runFixture } from './helpers/subprocess.js';

const SUPPORTED = process.platform === 'linux' && process.arch === 'x64';

for (const [label, flags] of [
  ['plain', [] as string[]],
  ['--cpu-prof and --heap-prof', ['--cpu-prof', '--heap-prof']],
] as const) {
  test(`fast: debugger stepping in a fiber, heap snapshot with fibers suspended, Atomics.wait, wasm trap, vm, worker (${label})`, (t) => {
    if (!SUPPORTED) return t.pass('no stack switch on this platform');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-prof-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const dirFlags = flags.length === 0 ? [] : [...flags, `--cpu-prof-dir=${dir}`, `--heap-prof-dir=${dir}`];
    const r = runFixture('fast-scenarios.js', { flags: dirFlags, env: { GREENSTACK_BACKEND: 'fast' }, timeout: 120_000 });
    t.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    t.is(out.backend, 'fast');
    t.is(out.debugger, 2, 'the fiber ran on after the pause and the step');
    t.is(out.pauses, 2, 'paused at `debugger;`, then once after stepping over');
    t.regex(out.pausedIn, /^inFiber:/);
    t.true(out.snapshotBytes > 0);
    t.is(out.heldSum, 190, 'suspended fibers kept their objects across the snapshot');
    t.is(out.atomics, 'timed-out');
    t.is(out.wasm, 'RuntimeError');
    t.is(out.vm, 42);
    t.deepEqual(out.worker, [7, 'fast']);
    if (flags.length > 0) {
      const files = fs.readdirSync(dir);
      t.true(files.some((f) => f.endsWith('.cpuprofile')), files.join(' '));
      t.true(files.some((f) => f.endsWith('.heapprofile')), files.join(' '));
    }
  });
}

test('a stripped copy of the node binary: discovery still works, or fast is refused with a reason and fibers run on carriers', (t) => {
  if (!SUPPORTED) return t.pass('no stack switch on this platform');
  const which = spawnSync('strip', ['--version']);
  if (which.status !== 0) return t.pass('no strip(1) here');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-strip-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const node = path.join(dir, 'node');
  const s = spawnSync('strip', ['--strip-all', '-o', node, process.execPath], { encoding: 'utf8' });
  t.is(s.status, 0, s.stderr);
  const r = spawnSync(node, [path.join(fixturesDir, 'backend.js'), 'status'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, GREENSTACK_BACKEND: 'fast' },
  });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.is(out.value, 42);
  if (out.backend === 'carrier') t.not(out.status.reason, '', 'a refusal says why');
  else t.is(out.status.reason, '');
  t.log(`stripped node: ${out.backend} (${out.why})`);
});
