// core.limit.test.ts: more fibers than the system allows threads: a typed, catchable error, never a crash.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import test from 'ava';
import { onCarriers } from './helpers/backend.js';
import { fixturesDir } from './helpers/subprocess.js';

// RLIMIT_NPROC does not bind root, so run the fixture as an unprivileged user
// with a small `ulimit -u`.
// One OS thread per fiber is the carrier backend's limit (bench/backend.js covers fast's).
const canDropPrivileges =
  onCarriers() && process.getuid?.() === 0 && spawnSync('runuser', ['--help']).status === 0;

(canDropPrivileges ? test : test.skip)('spawning past the thread limit throws CarrierLimitError', (t) => {
  const script = `ulimit -u 60 && exec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(fixturesDir, 'carrier-limit.js'))}`;
  const r = spawnSync('runuser', ['-u', 'nobody', '--', 'bash', '-c', script], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim());
  t.true(out.isLimit);
  t.is(out.code, 'ERR_GREENSTACK_CARRIER_LIMIT');
  t.regex(out.message, /EAGAIN/);
  t.true(out.spawned > 10);
  t.is(out.suspended, out.spawned, 'every fiber that was created runs');
  t.is(out.after, 'still works', 'carriers freed by dead fibers are reused');
});

// Past the limit, Node still needs threads: libuv's threadpool starts on first use
// (unpinned, nothing started it earlier), the inspector starts an IO thread. Both
// aborted the process when carriers had taken every thread.
for (const [what, env] of [
  ['threadpool', 'GREENSTACK_PIN=0'],
  ['inspector', ''],
] as const) {
  (canDropPrivileges ? test : test.skip)(`at the thread limit, the ${what} still starts and more fibers get CarrierLimitError`, (t) => {
    const script = `ulimit -u 60 && exec env ${env} ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(fixturesDir, 'thread-limit.js'))} ${what}`;
    const r = spawnSync('runuser', ['-u', 'nobody', '--', 'bash', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    t.is(r.status, 0, `${r.signal ?? ''} ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim());
    t.true(out.isLimit);
    t.true(out.againIsLimit);
    t.true(out[what], JSON.stringify(out));
  });
}
