// backend.fast.test.ts: the fast (user-space) backend: self-check report, core scenarios under it, fallback to carriers.
import test from 'ava';
import { BackendInUseError, configure, runtimeStats, spawn, sleep, wait } from 'greenstack';
import { backendStatus } from '../dist/core/internal.js';
import { buildFingerprint } from '../dist/core/fingerprint.js';
import { TESTED_BUILDS } from '../dist/core/tested-builds.js';
import { checkLeaks } from './helpers/leaks.js';
import { settle } from './helpers/toolkit.js';
import { gcStressCases, runFixture, type RunResult } from './helpers/subprocess.js';

checkLeaks(test);

// The only platform with a stack switch; elsewhere fast must fall back (tested below).
const SUPPORTED = process.platform === 'linux' && process.arch === 'x64';
const DEBUG_LINE = /^GREENSTACK \d+: .*$/gm;
const PASSED = /GREENSTACK \d+: backend: fast \(self-check passed in [\d.]+ ms; TLS block of .*stack start at \+0x[0-9a-f]+/;

/** Runs a fixture with GREENSTACK_BACKEND=fast and the debug channel on; debug lines are split off stderr. */
function runFast(
  name: string,
  options: { flags?: string[]; args?: string[]; env?: Record<string, string>; timeout?: number } = {},
): RunResult & { debug: string[] } {
  const r = runFixture(name, {
    ...options,
    env: { GREENSTACK_BACKEND: 'fast', NODE_DEBUG: 'greenstack', ...options.env },
  });
  const debug = r.stderr.match(DEBUG_LINE) ?? [];
  return { ...r, stderr: r.stderr.replace(DEBUG_LINE, '').replace(/^\n+/, ''), debug };
}

function lastJson(stdout: string): any {
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/** Asserts the run used the fast backend: the self-check passed, said so once per hub. */
function assertFast(t: any, r: { debug: string[] }, hubs = 1): void {
  const passed = r.debug.filter((l) => PASSED.test(l));
  t.is(passed.length, hubs, r.debug.join('\n'));
}

test.serial('the self-check result is reported: backend, layout found, time; once on NODE_DEBUG=greenstack only', (t) => {
  const r = runFast('backend.js', { args: ['status'] });
  t.is(r.status, 0, r.stderr);
  const out = lastJson(r.stdout);
  t.is(out.value, 42);
  t.is(out.status.requested, 'fast');
  t.is(out.backend, out.status.active);
  if (SUPPORTED) {
    t.is(out.status.active, 'fast', out.status.reason);
    t.is(out.status.reason, '');
    t.regex(out.status.details, /per coroutine: \d+ words .*stack start at \+0x[0-9a-f]+; isolate at \+0x[0-9a-f]+; thread identity at/);
    t.true(out.status.checkMs > 0);
    assertFast(t, r);
  } else {
    t.is(out.status.active, 'carrier');
    t.not(out.status.reason, '');
  }
  t.is(r.debug.length, 1, 'one debug line, not one per fiber');
  // Without NODE_DEBUG nothing is printed, pass or fail.
  const quiet = runFixture('backend.js', { args: ['status'], env: { GREENSTACK_BACKEND: 'fast', NODE_DEBUG: '' } });
  t.is(quiet.status, 0, quiet.stderr);
  t.is(quiet.stderr, '');
});

for (const stage of ['discovery', 'selfcheck']) {
  test.serial(`a failing self-check (${stage}) falls back to carriers and says why once, on the debug channel`, (t) => {
    const env = { GREENSTACK_TEST_FAST_FAIL: stage };
    const r = runFast('backend.js', { args: ['status'], env });
    t.is(r.status, 0, r.stderr);
    const out = lastJson(r.stdout);
    t.is(out.value, 42, 'fibers still work, on carriers');
    t.is(out.backend, 'carrier');
    t.is(out.status.active, 'carrier');
    t.regex(out.status.reason, /self-check failure forced by GREENSTACK_TEST_FAST_FAIL/);
    t.deepEqual(
      r.debug.map((l) => l.replace(/^GREENSTACK \d+: /, '')),
      ['backend: fast is unavailable, using carrier threads: self-check failure forced by GREENSTACK_TEST_FAST_FAIL (tests only)'],
    );
    t.is(r.stderr, '');
    const quiet = runFixture('backend.js', { args: ['status'], env: { ...env, GREENSTACK_BACKEND: 'fast', NODE_DEBUG: '' } });
    t.is(quiet.status, 0, quiet.stderr);
    t.is(quiet.stderr, '', 'nothing on stderr by default');
  });
}

test.serial('auto (and unset): fast on a build CI ran the suite on, carrier with the reason elsewhere; a bad value warns and means auto', (t) => {
  const tested = TESTED_BUILDS.includes(buildFingerprint());
  for (const value of ['auto', '']) {
    const r = runFixture('backend.js', { args: ['status'], env: { GREENSTACK_BACKEND: value } });
    t.is(r.status, 0, r.stderr);
    const out = lastJson(r.stdout) as { backend: string; status: { why: string; fingerprint: string } };
    t.is(out.backend, tested ? 'fast' : 'carrier', `GREENSTACK_BACKEND=${value}`);
    t.is(out.status.fingerprint, buildFingerprint());
    t.regex(out.status.why, tested ? /^auto chose fast: a tested Node build/ : /^auto chose carrier: this Node build is not one/);
  }
  // An untested build (a fingerprint the list does not have): carriers, and why.
  const untested = runFixture('backend.js', { args: ['status'], env: { GREENSTACK_BACKEND: 'auto', GREENSTACK_TEST_FINGERPRINT: 'node v0 stripped' } });
  t.is(untested.status, 0, untested.stderr);
  const u = lastJson(untested.stdout) as { backend: string; status: { reason: string; why: string } };
  t.is(u.backend, 'carrier');
  t.regex(u.status.reason, /not one greenstack's CI ran its suite on/);
  // Asked for explicitly, carriers are carriers whatever the build.
  const carrier = runFixture('backend.js', { args: ['status'], env: { GREENSTACK_BACKEND: 'carrier' } });
  t.is(lastJson(carrier.stdout).backend, 'carrier');
  const bad = runFixture('backend.js', { args: ['status'], env: { GREENSTACK_BACKEND: 'turbo' } });
  t.is(bad.status, 0, bad.stderr);
  t.is(lastJson(bad.stdout).backend, tested ? 'fast' : 'carrier');
  t.regex(bad.stderr, /GREENSTACK_BACKEND=turbo is not one of carrier, fast, auto; using auto/);
});

test('the Node running this suite is a build listed in src/core/tested-builds.ts (add its fingerprint once the suite passes on it)', (t) => {
  t.true(TESTED_BUILDS.includes(buildFingerprint()), `not listed: '${buildFingerprint()}' (node scripts/fingerprint.js)`);
});

test.serial('configure({ backend }) before the first fiber overrides the environment', (t) => {
  const toCarrier = runFixture('backend.js', { args: ['configure', 'carrier'], env: { GREENSTACK_BACKEND: 'fast' } });
  t.is(toCarrier.status, 0, toCarrier.stderr);
  t.is(lastJson(toCarrier.stdout).backend, 'carrier');
  const toFast = runFixture('backend.js', { args: ['configure', 'fast'], env: { GREENSTACK_BACKEND: 'carrier' } });
  t.is(toFast.status, 0, toFast.stderr);
  const out = lastJson(toFast.stdout);
  t.is(out.value, 'ok');
  t.is(out.backend, SUPPORTED ? 'fast' : 'carrier', out.status.reason);
});

test.serial('configure({ backend }) validates, switches while no fiber is alive, refuses while one is', async (t) => {
  t.throws(() => configure({ backend: 'turbo' as never }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => configure({ backend: 1 as never }), { code: 'ERR_INVALID_ARG_VALUE' });
  const before = backendStatus().active;  // selects now (as the first fiber would)
  t.is(runtimeStats().backend, before);
  try {
    configure({ backend: 'fast' });
    t.is(runtimeStats().backend, SUPPORTED ? 'fast' : 'carrier', backendStatus().reason);
    t.is(await spawn(() => wait(Promise.resolve(5)) + 1), 6);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const f = spawn(() => wait(gate));
    await settle();
    t.is(runtimeStats().suspended, 1);
    t.throws(() => configure({ backend: 'carrier' }), { instanceOf: BackendInUseError, code: 'ERR_GREENSTACK_BACKEND_IN_USE' });
    t.is(runtimeStats().backend, SUPPORTED ? 'fast' : 'carrier', 'a refused change changes nothing');
    release();
    await f;
    configure({ backend: 'carrier' });
    t.is(runtimeStats().backend, 'carrier');
    t.is(await spawn(() => { sleep(1); return 'carrier ok'; }), 'carrier ok');
  } finally {
    configure({ backend: before === 'fast' ? 'fast' : 'auto' });
  }
});

// The core suite's crash and GC scenarios, each in a subprocess on the fast backend.

for (const [name, flags, count] of gcStressCases) {
  test.serial(`fast: suspended fibers keep stack-only objects intact: ${name}`, (t) => {
    if (!SUPPORTED) return t.pass('no stack switch on this platform');
    const run = () => runFast('gc-stress.js', { flags: ['--expose-gc', ...flags], args: [String(count), '3'], timeout: 240_000 });
    const r = run();
    t.is(r.status, 0, r.stderr);
    assertFast(t, r);
    const out = lastJson(r.stdout);
    t.true(out.ok);
    t.is(out.fibers, count);
    t.true(out.collected > 0, 'unreferenced objects are still collected');
  });
}

test.serial('fast: exit scenarios behave as on carriers', (t) => {
  if (!SUPPORTED) return t.pass('no stack switch on this platform');
  const cases: Array<[string, string[], number, RegExp, RegExp | null]> = [
    ['loop-empties', [], 0, /last fiber done\nexit handler 0/, null],
    ['exit-from-fiber', [], 7, /exit handler 7/, null],
    ['exitcode', [], 3, /exit handler 3/, null],
    ['unhandled', [], 1, /^(?!still running)/, /nobody joins me/],
    ['unhandled', ['--unhandled-rejections=warn'], 0, /still running/, /nobody joins me/],
    ['observed', [], 0, /joined: joined/, null],
    ['uncaught-in-timer', [], 1, /exit handler 1/, /timer boom/],
  ];
  for (const [scenario, flags, status, stdout, stderr] of cases) {
    const r = runFast('exit.js', { args: [scenario], flags });
    t.is(r.status, status, `${scenario}: ${r.stderr}`);
    assertFast(t, r);
    t.regex(r.stdout, stdout, scenario);
    if (stderr === null) t.is(r.stderr, '', scenario);
    else t.regex(r.stderr, stderr, scenario);
  }
});

test.serial('fast: fibers in worker threads, terminate with fibers suspended, no thread per fiber', (t) => {
  if (!SUPPORTED) return t.pass('no stack switch on this platform');
  const r = runFast('worker.js', { timeout: 120_000 });
  t.is(r.status, 0, r.stderr);
  // The main thread and each worker that spawned fibers ran its own self-check.
  t.true(r.debug.filter((l) => PASSED.test(l)).length >= 2, r.debug.join('\n'));
  const out = lastJson(r.stdout);
  t.deepEqual(out.results.values, [2, 4, 6]);
  t.is(out.results.stats.backend, 'fast');
  t.is(out.code, 1);
  t.is(out.exit3, 0);
  t.is(out.exit4, 9);
  t.is(out.mainValue, 'main ok');
  t.true(out.during < out.base + 10, `100 suspended fibers took threads: ${out.during} vs ${out.base}`);
  t.true(out.after <= out.base, `threads leaked: ${out.after} now, ${out.base} before`);
});

test.serial('fast: more suspended fibers than kernel.pid_max allows threads, without a thread each', (t) => {
  if (!SUPPORTED) return t.pass('no stack switch on this platform');
  const count = 33_000;  // > the default pid_max (32768): impossible with a carrier per fiber
  const r = runFast('backend.js', { args: ['many', String(count)], timeout: 120_000 });
  t.is(r.status, 0, r.stderr);
  const out = lastJson(r.stdout);
  t.is(out.backend, 'fast');
  t.is(out.suspended, count);
  t.true(out.during <= out.base + 2, `threads: ${out.during} with ${count} suspended, ${out.base} before`);
  t.true(out.sumOk);
});
