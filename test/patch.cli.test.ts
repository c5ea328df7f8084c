// patch.cli.test.ts: the greenstack command line: options parsed with util.parseArgs, node options passed through (node started again), --fibers and its reach into child processes, bad options.
import { fork, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import test from 'ava';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

const root = path.join(__dirname, '..');
const bin = path.join(root, 'bin/greenstack.js');
const fixture = (name: string) => path.join(root, 'test/fixtures', name);
// greenstack/fibers as a child node resolves it (the fixture compares against it).
const GS_FIBERS = path.join(root, 'dist/compat/fibers.js');

function run(args: string[], env: Record<string, string> = {}, node: string[] = []) {
  const r = spawnSync(process.execPath, [...node, bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GS_FIBERS, ...env },
    timeout: 60_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

interface FlagsOut {
  execArgv: string[];
  argv: string[];
  mainFiber: boolean;
  preloaded: boolean;
  fibers: boolean | string;
  childFibers: string;
  childFibersImport: string;
}
function flagsOut(stdout: string): FlagsOut {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as FlagsOut;
}

test.serial('node options before the program, in any order among the CLI options, reach node; the program still runs in the main fiber', (t) => {
  const r = run(['--trace-gc', '--no-pin', '--max-old-space-size=512', '--stack-size', '256k', '-r', fixture('cli-preload.js'), '--enable-source-maps', fixture('cli-flags.js'), 'a', '--b']);
  t.is(r.status, 0, r.stderr);
  const out = flagsOut(r.stdout);
  t.deepEqual(out.execArgv, ['--trace-gc', '--max-old-space-size=512', '-r', fixture('cli-preload.js'), '--enable-source-maps']);
  t.true(out.preloaded, 'the -r preload ran');
  t.deepEqual(out.argv, ['a', '--b']);
  t.true(out.mainFiber);
  t.regex(r.stdout, /Scavenge|Mark-Compact|Mark-sweep/, '--trace-gc took effect');
});

test.serial('arguments after the program are the program\'s, node-like or greenstack-like', (t) => {
  const r = run([fixture('cli-flags.js'), '--enable-source-maps', '--patch=none', '--fibers']);
  t.is(r.status, 0, r.stderr);
  const out = flagsOut(r.stdout);
  t.deepEqual(out.execArgv, []);
  t.deepEqual(out.argv, ['--enable-source-maps', '--patch=none', '--fibers']);
  t.is(out.fibers, 'MODULE_NOT_FOUND');
});

test.serial('under node options, the exit code and a deadly signal are the program\'s', (t) => {
  t.is(run(['--enable-source-maps', fixture('cli-flags.js')], { EXIT_CODE: '6' }).status, 6);
  const killed = run(['--enable-source-maps', fixture('cli-flags.js')], { KILL_SELF: 'SIGTERM' });
  t.is(killed.status, null);
  t.is(killed.signal, 'SIGTERM');
});

for (const serialization of ['json', 'advanced'] as const) {
  test.serial(`forked with the CLI as execPath and node options (as ava forks workers), IPC ${serialization}: messages both ways, exit code`, async (t) => {
    const child = fork(fixture('cli-fork-child.js'), ['x'], {
      execPath: bin,
      execArgv: ['--enable-source-maps'],
      serialization,
      env: { ...process.env, EXIT_CODE: '3' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const messages: Array<Record<string, unknown>> = [];
    const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.on('message', (m: Record<string, unknown>) => {
      messages.push(m);
      if (m.ready === true) child.send({ n: 1, map: new Map([[1, 2]]) });
    });
    t.is(await done, 3);
    t.is(messages.length, 2);
    const reply = messages[1]!;
    t.deepEqual(reply.execArgv, ['--enable-source-maps']);
    t.deepEqual(reply.argv, ['x']);
    t.true(reply.mainFiber);
    t.is(reply.map, serialization === 'advanced');
  });
}

test.serial('--fibers: require and import of fibers load greenstack/fibers, here and in child node processes (NODE_OPTIONS)', (t) => {
  const r = run(['--fibers', fixture('cli-flags.js')]);
  t.is(r.status, 0, r.stderr);
  const out = flagsOut(r.stdout);
  t.true(out.fibers);
  t.is(out.childFibers, 'true');
  t.is(out.childFibersImport, 'true');
  // With node options too (the second node gets --fibers).
  const again = flagsOut(run(['--enable-source-maps', '--fibers', fixture('cli-flags.js')]).stdout);
  t.true(again.fibers);
  t.is(again.childFibers, 'true');
});

test.serial('GREENSTACK_PATCH=...,fibers does the same, under the CLI and under node -r greenstack/patch; without it fibers is not found', (t) => {
  for (const out of [
    flagsOut(run([fixture('cli-flags.js')], { GREENSTACK_PATCH: 'fs,fibers' }).stdout),
    flagsOut(run(['--patch=all,fibers', fixture('cli-flags.js')]).stdout),
  ]) {
    t.true(out.fibers);
    t.is(out.childFibers, 'true');
  }
  const preload = spawnSync(process.execPath, ['-r', path.join(root, 'dist/patch/patch.js'), fixture('cli-flags.js')], {
    encoding: 'utf8',
    env: { ...process.env, GS_FIBERS, GREENSTACK_PATCH: 'fibers' },
  });
  t.is(preload.status, 0, preload.stderr);
  const out = flagsOut(preload.stdout);
  t.true(out.fibers);
  t.is(out.childFibers, 'true');
  t.is(out.childFibersImport, 'true');
  const without = flagsOut(run([fixture('cli-flags.js')]).stdout);
  t.is(without.fibers, 'MODULE_NOT_FOUND');
  t.is(without.childFibers, 'error');
});

test.serial('bad options print the usage with an error code and exit 9, never a stack trace', (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--stack-size=0', fixture('cli-main.js')], /ERR_INVALID_ARG_VALUE/],
    [['--stack-size=lots', fixture('cli-main.js')], /invalid --stack-size "lots".*ERR_INVALID_ARG_VALUE/],
    [['--stack-size'], /ERR_PARSE_ARGS_INVALID_OPTION_VALUE/],
    [['--stak-size=1m', fixture('cli-main.js')], /unknown option --stak-size=1m.*ERR_PARSE_ARGS_UNKNOWN_OPTION/],
    [['--patch=nosuch', fixture('cli-main.js')], /unknown module "nosuch".*ERR_INVALID_ARG_VALUE/],
    [['--help=yes'], /ERR_PARSE_ARGS/],
    [['-r'], /-r needs a value/],
    [['--no-pin'], /no program to run.*ERR_GREENSTACK_CLI_USAGE/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    t.is(r.status, 9, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, args.join(' '));
    t.regex(r.stderr, /\nUsage: greenstack/, args.join(' '));
    t.notRegex(r.stderr, /\n\s+at /, `${args.join(' ')}: no stack trace`);
  }
});

test.serial('-h and -v, also grouped or among node options', (t) => {
  t.regex(run(['--enable-source-maps', '-h']).stdout, /^Usage: greenstack/);
  t.regex(run(['-v']).stdout, /^greenstack \d+\.\d+\.\d+/);
});

test.serial('examples/fibers-app.js (unmodified node-fibers code) runs under greenstack --fibers', (t) => {
  const r = run(['--fibers', path.join(root, 'examples', 'fibers-app.js')]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), 'node-fibers code ran on greenstack: fibers + future');
});
