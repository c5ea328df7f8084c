// stdlib.child_process.test.ts: greenstack/child_process: differential test against node:child_process, cooperation, and no orphan child on kill.
import cp = require('node:child_process');
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { sleep, spawn, Timeout, TimeoutError } from 'greenstack';
import * as green from 'greenstack/child_process';
import { checkLeaks } from './helpers/leaks.js';
import { fixturesDir, runFixture } from './helpers/subprocess.js';

checkLeaks(test);

type Call = [name: 'spawnSync' | 'execSync' | 'execFileSync', args: unknown[]];

const sh = (script: string, options?: object): unknown[] => ['sh', ['-c', script], ...(options ? [options] : [])];
const calls: Call[] = [
  // spawnSync: results
  ['spawnSync', ['true']],
  ['spawnSync', sh('echo out; echo err >&2; exit 3')],
  ['spawnSync', sh('echo out; exit 3', { encoding: 'utf8' })],
  ['spawnSync', sh('printf caf\\303\\251', { encoding: 'latin1' })],
  ['spawnSync', sh('kill -9 $$')],
  ['spawnSync', sh('kill -TERM $$', { encoding: 'buffer' })],
  ['spawnSync', ['sleep', ['5'], { timeout: 50 }]],
  ['spawnSync', sh('echo partial; sleep 5', { timeout: 500, killSignal: 'SIGKILL' })],
  ['spawnSync', sh('echo partial; sleep 5', { timeout: 500, killSignal: 9 })],
  ['spawnSync', sh('head -c 5000 /dev/zero; sleep 5', { maxBuffer: 100 })],
  ['spawnSync', sh('echo hi', { maxBuffer: 3 })],
  ['spawnSync', sh('echo hi', { maxBuffer: 0 })],
  ['spawnSync', ['cat', { input: 'hello' }]],
  ['spawnSync', ['cat', { input: Buffer.from('bytes') }]],
  ['spawnSync', ['cat', { input: new Uint16Array([0x6968]) }]],
  ['spawnSync', ['cat', { input: '68690a', encoding: 'hex' }]],
  ['spawnSync', ['cat', { input: '' }]],
  ['spawnSync', ['cat', { input: 0 }]],
  ['spawnSync', sh('echo 3 >&3; echo 1', { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })],
  ['spawnSync', sh('echo hi; echo e >&2', { stdio: ['ignore', 'pipe', 'ignore'] })],
  ['spawnSync', sh('echo hi', { stdio: [null, null, null, null, 'pipe'] })],
  ['spawnSync', sh('echo hi', { stdio: 'ignore' })],
  ['spawnSync', sh('echo $GS_X-$GS_Y', { env: { GS_X: 1, GS_Y: undefined, PATH: process.env.PATH } })],
  ['spawnSync', ['pwd', { cwd: '/tmp' }]],
  ['spawnSync', ['pwd', { cwd: new URL('file:///tmp') }]],
  ['spawnSync', ['pwd', { cwd: '/nonexistent-dir' }]],
  ['spawnSync', ['echo $0', { shell: true }]],
  ['spawnSync', ['echo', ['a b', 'c'], { shell: '/bin/sh' }]],
  ['spawnSync', ['sh', ['-c', 'echo $0'], { argv0: 'renamed' }]],
  ['spawnSync', ['nonexistent-command-gs', ['a']]],
  ['spawnSync', ['/etc/passwd']],
  // Delays past setTimeout's 2^31-1 ms limit must not fire at once.
  ['spawnSync', ['echo', ['long'], { timeout: 2 ** 31 }]],
  ['spawnSync', ['echo', ['longer'], { timeout: 1e15 }]],
  // A bad fd in stdio: spawn() throws at once, spawnSync returns { error: EBADF }.
  ['spawnSync', ['echo', ['x'], { stdio: [0, 99, 2] }]],
  ['spawnSync', ['echo', ['x'], { stdio: ['pipe', 'pipe', 12345] }]],
  // spawnSync: invalid arguments (thrown before anything runs)
  ['spawnSync', [5]],
  ['spawnSync', ['']],
  ['spawnSync', ['a\u0000b']],
  ['spawnSync', ['true', 'notarray']],
  ['spawnSync', ['true', ['a\u0000']]],
  ['spawnSync', ['true', [], 'opts']],
  ['spawnSync', ['true', [], { cwd: 5 }]],
  ['spawnSync', ['true', [], { timeout: -1 }]],
  ['spawnSync', ['true', [], { timeout: 1.5 }]],
  ['spawnSync', ['true', [], { maxBuffer: 'x' }]],
  ['spawnSync', ['true', [], { killSignal: 'SIGNOPE' }]],
  ['spawnSync', ['true', [], { killSignal: {} }]],
  ['spawnSync', ['true', [], { stdio: 'bogus' }]],
  ['spawnSync', ['true', [], { stdio: ['ipc'] }]],
  ['spawnSync', ['true', [], { input: 5 }]],
  ['spawnSync', ['true', [], { input: 'x', encoding: 'nope' }]],
  ['spawnSync', ['true', [], { encoding: 'nope' }]],
  ['spawnSync', ['true', [], { shell: 5 }]],
  ['spawnSync', ['true', [], { uid: 'root' }]],
  ['spawnSync', ['true', [], { env: { X: 'a\u0000' } }]],
  ['spawnSync', ['true', [], { detached: 'yes' }]],
  // execSync / execFileSync
  ['execSync', ['echo hi']],
  ['execSync', ['echo hi', { encoding: 'utf8' }]],
  ['execSync', ['echo err >&2; exit 2', { stdio: 'pipe' }]],
  ['execSync', ['exit 4', { stdio: 'pipe', encoding: 'utf8' }]],
  ['execSync', ['cat', { input: 'piped', stdio: 'pipe' }]],
  ['execSync', ['sleep 5', { timeout: 50, stdio: 'pipe' }]],
  ['execSync', ['nonexistent-command-gs 2>/dev/null', { stdio: 'pipe' }]],
  ['execSync', ['echo $0', { shell: '/bin/sh' }]],
  ['execSync', ['echo long', { timeout: 2 ** 31, stdio: 'pipe' }]],
  ['execSync', ['echo x', { stdio: [0, 99, 2] }]],
  ['execFileSync', ['echo', ['x'], { stdio: [0, 99, 2] }]],
  ['execSync', [42]],
  ['execSync', ['a\u0000b']],
  ['execSync', ['true', { timeout: 'x' }]],
  ['execFileSync', ['echo', ['a', 'b']]],
  ['execFileSync', ['echo', ['a'], { encoding: 'utf8' }]],
  ['execFileSync', ['sh', ['-c', 'echo e >&2; exit 6'], { stdio: 'pipe' }]],
  ['execFileSync', ['sh', { stdio: 'pipe', input: 'exit 7' }]],
  ['execFileSync', ['nonexistent-command-gs', ['x']]],
  ['execFileSync', ['sh', ['-c', 'exit 1'], { argv0: 'custom', stdio: 'pipe' }]],
  ['execFileSync', ['echo', 'notarray']],
  ['execFileSync', ['echo', [], 'opts']],
  ['execFileSync', ['echo', [], { argv0: 5 }]],
  ['execFileSync', [null]],
];

// A comparable picture of a result or an error (pids differ between runs).
function picture(v: unknown, seen = new Set<unknown>()): unknown {
  if (Buffer.isBuffer(v)) return { buffer: v.toString('latin1') };
  if (Array.isArray(v)) return v.map((x) => picture(x, seen));
  if (v instanceof Error) {
    if (seen.has(v)) return '[circular]';
    seen.add(v);
    const out: Record<string, unknown> = {
      proto: Object.getPrototypeOf(v) === Error.prototype ? 'Error' : Object.getPrototypeOf(v).constructor.name + '*',
      name: v.name,
      message: v.message,
      head: String(v.stack).split('\n')[0],
      own: Object.getOwnPropertyNames(v),
    };
    for (const key of Object.keys(v)) out[key] = key === 'pid' ? typeof (v as never)[key] : picture((v as never)[key], seen);
    return out;
  }
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = { keys: Object.keys(v) };
    for (const [k, x] of Object.entries(v)) out[k] = k === 'pid' ? (x === 0 ? 0 : typeof x) : picture(x, seen);
    return out;
  }
  return v;
}

// How much output is read between exceeding maxBuffer and the child's death is a
// race (read sizes differ): past the limit, only "over" is compared.
function overLimit(args: unknown[], result: unknown): unknown {
  const opts = args.find((a) => typeof a === 'object' && a !== null && !Array.isArray(a)) as { maxBuffer?: number } | undefined;
  const r = result as { output?: Array<Buffer | null> | null; stdout?: unknown; stderr?: unknown };
  if (!opts?.maxBuffer || r?.output == null) return result;
  const cut = (b: unknown) => (Buffer.isBuffer(b) && b.length > opts.maxBuffer! ? 'over maxBuffer' : b);
  return { ...r, output: r.output.map(cut), stdout: cut(r.stdout), stderr: cut(r.stderr) };
}

function runAll(impl: Record<string, unknown>): Array<{ threw: boolean; value: unknown }> {
  return calls.map(([name, args]) => {
    try {
      return { threw: false, value: picture(overLimit(args, (impl[name] as (...a: unknown[]) => unknown)(...args))) };
    } catch (err) {
      return { threw: true, value: picture(err) };
    }
  });
}

test.serial('differential: spawnSync/execSync/execFileSync in a fiber return and throw what node does', async (t) => {
  const expected = runAll(cp as unknown as Record<string, unknown>);
  const actual = await spawn(() => runAll(green as unknown as Record<string, unknown>));
  let mismatches = 0;
  for (let i = 0; i < calls.length; i++) {
    if (JSON.stringify(actual[i]) !== JSON.stringify(expected[i])) {
      mismatches++;
      t.deepEqual(actual[i], expected[i], `#${i} ${calls[i]![0]}(${JSON.stringify(calls[i]![1])})`);
    }
  }
  t.is(mismatches, 0);
  const thrown = expected.filter((o) => o.threw).length;
  t.true(thrown > 20 && calls.length - thrown > 30);
});

test.serial('the declared list covers every *Sync function of node:child_process', (t) => {
  const present = Object.keys(cp).filter((k) => k.endsWith('Sync'));
  t.deepEqual([...green.syncFunctionNames].sort(), present.sort());
  for (const name of present) {
    t.is(typeof green.implementsSync[name], 'function');
    t.not(green.implementsSync[name], (cp as unknown as Record<string, unknown>)[name]);
    t.is(green.default[name as 'execSync'], green.implementsSync[name]);
  }
  t.is(green.spawn, cp.spawn);
  t.is(green.ChildProcess, cp.ChildProcess);
  t.is(green.cooperative.module, 'child_process');
});

test.serial('a fiber in execSync blocks only itself; two children run at once', async (t) => {
  // Each child waits for a file only another fiber writes: with a blocked process
  // they would wait forever (the 10 s timeout turns that into a failure, not a hang).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-cp-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const go = path.join(dir, 'go');
  const script = (name: string) =>
    `touch ${name}; while [ ! -e go ]; do sleep 0.01; done; echo ${name}`;
  const a = spawn(() => green.execSync(script('a'), { cwd: dir, encoding: 'utf8', timeout: 10_000 }));
  const b = spawn(() => green.execFileSync('sh', ['-c', script('b')], { cwd: dir, encoding: 'utf8', timeout: 10_000 }));
  const starter = spawn(() => {
    // runs while both children run: it sees both start, then lets them finish
    while (!(fs.existsSync(path.join(dir, 'a')) && fs.existsSync(path.join(dir, 'b')))) sleep(5);
    fs.writeFileSync(go, '');
  });
  t.deepEqual([await a, await b], ['a\n', 'b\n']);
  await starter;
});

test.serial('outside a fiber the sync functions are node:child_process behaviour', (t) => {
  t.is(green.execSync('echo hub', { encoding: 'utf8' }), 'hub\n');
  const r = green.spawnSync('sh', ['-c', 'exit 2']);
  t.is(r.status, 2);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test.serial('a fiber killed or timed out in spawnSync kills and reaps its child', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-cp-'));
  try {
    for (const how of ['kill', 'timeout'] as const) {
      const pidFile = path.join(dir, `${how}.pid`);
      const f = spawn(() => {
        using _t = how === 'timeout' ? Timeout.startNew(300) : undefined;
        return green.spawnSync('sh', ['-c', `echo $$ > ${pidFile}; exec sleep 30`]);
      });
      while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 10));
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      t.true(alive(pid));
      if (how === 'kill') {
        f.kill();
        await f;
      } else {
        await t.throwsAsync(async () => f, { instanceOf: TimeoutError });
      }
      // Gone and reaped (a zombie would still answer kill(pid, 0)).
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
      t.false(alive(pid), `${how}: child ${pid} is gone`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('with every fd in use (ulimit -n 64) a fiber gets the EMFILE result node gives', (t) => {
  const script = path.join(fixturesDir, 'child-emfile.js');
  const r = cp.spawnSync('sh', ['-c', 'ulimit -n 64 && exec "$0" "$1"', process.execPath, script], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  const { held, leaked, extra, expected, actual } = JSON.parse(r.stdout) as { held: number; leaked: number; extra: string[]; expected: unknown[]; actual: unknown[] };
  t.true(held > 0);
  t.is(leaked, 0, `no fd left open by the failed calls (open now, not at the start: ${extra.join(', ')})`);
  t.deepEqual(actual, expected);
  t.true(JSON.stringify(expected).includes('EMFILE'), 'the limit was reached');
});

// fork() copies every mapping of the parent: with 1,000 suspended fibers a spawn
// took 4x as long (fast) while their stacks were copied into each child. Carriers'
// thread stacks hold glibc's thread descriptor, which a child touches: they are copied.
test('suspended fibers\' stacks are left out of a child process (fast) and still share mappings; children from a fiber, from the hub and from a worker\'s fiber run', (t) => {
  const r = runFixture('fork-stacks.js');
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { backend: string; leftOutPerFiber: number; mappingsPerFiber: number; outputs: string[] };
  if (out.backend === 'fast') {
    t.true(out.leftOutPerFiber >= 256 * 1024, `${out.leftOutPerFiber} bytes per fiber left out of fork()`);
    // Adjacent stacks merge into one VMA: at one (or two) per stack, vm.max_map_count
    // (65,530) ran out before 100k fibers and malloc failed inside V8.
    t.true(out.mappingsPerFiber < 0.5, `${out.mappingsPerFiber} mappings per fiber`);
  }
  t.deepEqual(out.outputs, ['from-fiber\n', 'spawned\n', 'from-hub\n', 'from-worker\n']);
});
