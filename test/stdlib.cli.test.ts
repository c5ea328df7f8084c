// stdlib.cli.test.ts: the greenstack command, run in subprocesses: argv, main fiber, ESM, exit codes, errors, unsettled main, signals, options.
import { spawn as spawnChild, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import test from 'ava';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

const root = path.join(__dirname, '..');
const bin = path.join(root, 'bin/greenstack.js');
const fixture = (name: string) => path.join(root, 'test/fixtures', name);

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

test.serial('a CommonJS main runs in the main fiber with node argv, require.main and patch mode', (t) => {
  const r = run([fixture('cli-main.js'), 'one', '--two', '3']);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(lastJson(r.stdout), {
    argv: ['one', '--two', '3'],
    argv1IsSelf: true,
    isMain: true,
    patched: true,
    joined: [1, 2, 3],
  });
});

test.serial('exit codes: process.exitCode and process.exit() from the main fiber', (t) => {
  t.is(run([fixture('cli-main.js')], { EXIT_CODE: '4' }).status, 4);
  t.is(run([fixture('cli-main.js')], { EXIT_NOW: '5' }).status, 5);
});

test.serial('a .cjs main: process.exit() from a fiber while others are blocked runs exit handlers', (t) => {
  const r = run([fixture('cli-exit.cjs')]);
  t.is(r.status, 3, r.stderr);
  t.is(r.stdout.trim(), 'exit handler 3');
});

test.serial('an ES module main without top-level await blocks in the main fiber', (t) => {
  const r = run([fixture('cli-esm.mjs'), 'x']);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(lastJson(r.stdout), { inFiber: true, joined: true, sameFunction: true, argv: ['x'] });
});

test.serial('an ES module with top-level await is imported: its top level runs on the hub, fibers work', (t) => {
  const r = run([fixture('cli-tla.mjs')]);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(lastJson(r.stdout), { inFiber: false, value: 42 });
});

test.serial('an uncaught error in the main module prints like node (source line, stack) and exits 1', (t) => {
  const r = run([fixture('cli-throw.js')]);
  const plain = spawnSync(process.execPath, ['-e', "throw new TypeError('main module failed')"], { encoding: 'utf8' });
  t.is(r.status, 1);
  t.is(plain.status, 1);
  const lines = r.stderr.split('\n');
  t.is(lines[0], `${fixture('cli-throw.js')}:6`);
  t.is(lines[1], "throw new TypeError('main module failed');");
  t.regex(lines[2]!, /^\s*\^$/);
  t.regex(r.stderr, /\nTypeError: main module failed\n {4}at Object\.<anonymous> \(.*cli-throw\.js:6:7\)/);
  t.regex(r.stderr, new RegExp(`\\nNode\\.js ${process.version.replace(/\./g, '\\.')}\\n$`));
});

test.serial('a main fiber blocked with nothing left to wake it exits 13 naming where it was blocked', (t) => {
  const r = run([fixture('cli-unsettled.js')]);
  t.is(r.status, 13);
  t.is(r.stdout.trim(), 'finally ran');
  t.true(r.stderr.startsWith(`Warning: Detected unsettled top-level blocking call at ${fixture('cli-unsettled.js')}:7\n  q.get();\n    ^\n`), r.stderr);
  t.regex(r.stderr, /blocked in Queue\.get\(\)/);
});

test.serial('signals: SIGTERM ends the program as it ends node; a SIGINT handler runs', async (t) => {
  const stop = (env: Record<string, string>, signal: NodeJS.Signals) =>
    new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
      const child = spawnChild(process.execPath, [bin, fixture('cli-signal.js')], { env: { ...process.env, ...env } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) child.kill(signal);
      });
      child.on('close', (code, sig) => resolve({ code, signal: sig, out }));
    });
  const term = await stop({}, 'SIGTERM');
  t.is(term.code, null);
  t.is(term.signal, 'SIGTERM');
  const handled = await stop({ HANDLE: '1' }, 'SIGINT');
  t.is(handled.code, 7);
  t.regex(handled.out, /got SIGINT/);
});

test.serial('--help, --version and bad options', (t) => {
  const help = run(['--help']);
  t.is(help.status, 0);
  t.regex(help.stdout, /^Usage: greenstack \[options\]/);
  t.regex(help.stdout, /--patch=<list>/);
  const version = run(['--version']);
  t.is(version.status, 0);
  t.regex(version.stdout, /^greenstack \d+\.\d+\.\d+ \(Node\.js v\d+/);
  const bad = run(['--bogus', fixture('cli-main.js')]);
  t.is(bad.status, 9);
  t.regex(bad.stderr, /unknown option --bogus/);
  t.is(run([]).status, 9);
  t.regex(run(['--patch=nosuch', fixture('cli-main.js')]).stderr, /unknown module "nosuch"/);
  t.regex(run(['--stack-size=lots', fixture('cli-main.js')]).stderr, /invalid --stack-size/);
});

test.serial('--patch and GREENSTACK_PATCH choose the modules; --no-patch patches none', (t) => {
  t.false(lastJson(run(['--no-patch', fixture('cli-main.js')]).stdout).patched);
  t.false(lastJson(run(['--patch=zlib,crypto', fixture('cli-main.js')]).stdout).patched);
  t.false(lastJson(run([fixture('cli-main.js')], { GREENSTACK_PATCH: '-fs' }).stdout).patched);
  t.true(lastJson(run(['--patch', 'fs', fixture('cli-main.js')]).stdout).patched);
});

test.serial('--stack-size sets the main fiber stack', (t) => {
  const small = run(['--stack-size=256k', fixture('cli-stack.js')]);
  const big = run(['--stack-size=4m', fixture('cli-stack.js')]);
  t.is(small.status, 0, small.stderr);
  t.is(big.status, 0, big.stderr);
  t.true((lastJson(big.stdout).depth as number) > 4 * (lastJson(small.stdout).depth as number));
});

test.serial('a missing program fails like node (MODULE_NOT_FOUND, exit 1)', (t) => {
  const r = run([fixture('does-not-exist.js')]);
  t.is(r.status, 1);
  t.regex(r.stderr, /Error: Cannot find module '.*does-not-exist\.js'/);
});

test.serial('the examples run under their entry points', (t) => {
  const ex = (name: string) => path.join(root, 'examples', name);
  const opts = { cwd: root, encoding: 'utf8' as const, timeout: 60_000 };
  const build = spawnSync(process.execPath, [bin, ex('build-tool.js'), '100'], opts);
  t.is(build.status, 0, build.stderr);
  t.regex(build.stdout, /^build-tool: 100 source files/);
  t.regex(build.stdout, /32 fibers: 100 files, .* gzip in \d+ ms/);
  t.regex(build.stdout, /execSync\('uname -s'\) x 20, 8 at a time: Linux in \d+ ms/);
  // The heartbeat fiber ran while the main fiber was in patched calls.
  t.regex(build.stdout, /a heartbeat fiber slept 10 ms [1-9]\d* times/);
  const esm = spawnSync(process.execPath, [bin, ex('esm-main.mjs')], opts);
  t.regex(esm.stdout, /^joined a,b,c at top level in \d+ ms/, esm.stderr);
  const req = spawnSync(process.execPath, ['-r', 'greenstack/patch', ex('preload-require.js')], opts);
  // (that the commands overlap is proven without a clock in stdlib.child_process)
  t.regex(req.stdout, /5 x 200 ms commands in \d+ ms/, req.stderr);
  const imp = spawnSync(process.execPath, ['--import', 'greenstack/patch', ex('preload-import.mjs')], opts);
  t.regex(imp.stdout, /4 x pbkdf2Sync\(200k rounds\) in \d+ ms; a 5 ms timer ticked \d+ times meanwhile/, imp.stderr);
  const dropin = spawnSync(process.execPath, [ex('dropin-fs.js')], opts);
  t.regex(dropin.stdout, /outside a fiber, fs\.existsSync is node's: true/, dropin.stderr);
});
