// cli.ts: the `greenstack` command: patch mode, then the program's main module runs inside a main fiber, so its top level can block.
//
// `greenstack [options] app.js [args]` behaves like `node app.js [args]`:
// process.argv, require.main, exit codes, uncaught-error output and signals are
// Node's. CommonJS mains load through Module._load (as node does); ES module
// mains without top-level await load through require(esm), which evaluates them
// synchronously, so in the main fiber. An ES module graph with top-level await
// (or any ESM on a Node without require(esm)) is imported instead: its top level
// then runs on the hub, where it can await and spawn fibers but not block.
import { spawn as spawnProcess, spawnSync } from 'node:child_process';
import fs = require('node:fs');
import Module = require('node:module');
import path = require('node:path');
import { pathToFileURL } from 'node:url';
import { parseArgs as parseArgv } from 'node:util';
import { LoopExit } from '../core/errors.js';
import { Fiber } from '../core/fiber.js';
import { loadMainModule } from './atomic.js';
import { enableFibersAlias, splitFibersItem } from './fibers-option.js';
import { parsePatchList, patchAll, type PatchOptions } from './patcher.js';
import { sizeThreadpool } from './threadpool.js';
import { configure } from '../core/runtime.js';
import { wait } from '../core/wait.js';
import { nextTick } from '../core/timers.js';

/** Node's exit code for bad command-line options. */
const EXIT_BAD_OPTION = 9;
/** Node's exit code for an unsettled top-level await. */
const EXIT_UNSETTLED = 13;

const USAGE = `Usage: greenstack [options] [node options] <app.js|app.mjs|app.cjs> [args...]

Runs a Node program with greenstack: fs, child_process, zlib and crypto (and the
other modules greenstack provides) are patched so their *Sync calls block only
the calling fiber, and the program's top level runs inside a main fiber, so it
can block, spawn fibers and join them.

Options:
  --patch=<list>        modules to patch: "all" (default), "none", a list such as
                        "fs,child_process", or "all" minus some: "-crypto"; the item
                        "fibers" adds the node-fibers alias (as --fibers does)
                        (default: the GREENSTACK_PATCH environment variable)
  --no-patch            patch nothing (same as --patch=none)
  --fibers              require('fibers') and import 'fibers' load greenstack/fibers,
                        in this program and in the Node processes it starts
                        (through NODE_OPTIONS)
  --stack-size=<size>   native stack of each fiber: bytes, or with k/m suffix
                        (default 1m; minimum 128k)
  --no-pin              do not pin the hub and fibers to one CPU (GREENSTACK_PIN=0)
  -h, --help            print this help and exit
  -v, --version         print greenstack's and Node's versions and exit

Node's own options (--inspect, --max-old-space-size=512, -r mod, ...) may come
before the program, mixed with these in any order: greenstack then starts node
again with them. Everything after the program goes to the program.

Exit codes and error output are node's; bad options exit with 9; a program whose
main fiber is still blocked when nothing is left to wake it exits with code 13,
like an unsettled top-level await.`;

/** The CLI's own options, for util.parseArgs. */
const OPTIONS = {
  patch: { type: 'string' },
  'no-patch': { type: 'boolean' },
  fibers: { type: 'boolean' },
  'stack-size': { type: 'string' },
  pin: { type: 'boolean' },
  'no-pin': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

// Node options that take their value as the next argument (`-r mod`); any other node
// option with a value is written `--name=value`.
const NODE_VALUE_OPTIONS = new Set([
  '-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions',
  '--inspect-port', '--debug-port', '--title', '--input-type', '--env-file', '--redirect-warnings',
  '--unhandled-rejections', '--disable-warning', '--diagnostic-dir', '--report-dir', '--cpu-prof-dir',
  '--heap-prof-dir', '--icu-data-dir', '--openssl-config', '--dns-result-order', '--max-http-header-size',
]);

interface CliOptions {
  patch: PatchOptions;
  fibers: boolean;
  stackSize: number | undefined;
  pin: boolean | undefined;
  /** Node options given before the program: node must be started again with them. */
  nodeOptions: string[];
  /** The CLI's own arguments, as given (for that second start). */
  ownArgs: string[];
  file: string;
  args: string[];
}

/** A bad command line: printed with the usage text, exit code 9. */
class UsageError extends Error {
  readonly code: string;

  constructor(message: string, code = 'ERR_GREENSTACK_CLI_USAGE') {
    super(message);
    this.code = code;
  }
}

function parseSize(text: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (m === null) throw new UsageError(`invalid --stack-size "${text}": use bytes, or a number with k or m`, 'ERR_INVALID_ARG_VALUE');
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * scale;
}

let v8Options: Set<string> | undefined;

/** Whether node itself takes this option (a Node option, or a V8 one as `node --v8-options` lists them). */
function isNodeOption(name: string): boolean {
  if (process.allowedNodeEnvironmentFlags.has(name) || NODE_VALUE_OPTIONS.has(name)) return true;
  if (!name.startsWith('--')) return false;
  if (v8Options === undefined) {
    // Only asked for an option that is neither greenstack's nor in Node's own list.
    const r = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    v8Options = new Set([...(r.stdout ?? '').matchAll(/^\s+--([\w-]+)/gm)].map((m) => m[1]!.replace(/_/g, '-')));
  }
  const bare = name.slice(2).replace(/_/g, '-');
  return v8Options.has(bare) || (bare.startsWith('no-') && v8Options.has(bare.slice(3)));
}

function parseArgs(argv: string[]): CliOptions | 'help' | 'version' {
  // Tokenize everything, then keep what comes before the program: ours, and node's.
  let tokens;
  try {
    ({ tokens } = parseArgv({ args: argv, options: OPTIONS, strict: false, allowPositionals: true, tokens: true }));
  } catch (err) {
    throw new UsageError((err as Error).message, (err as { code?: string }).code);
  }
  const own = new Set<number>(); // indices in argv of the CLI's own arguments
  const nodeOptions: string[] = [];
  let fileIndex = -1;
  for (let t = 0; t < tokens.length && fileIndex < 0; t++) {
    const token = tokens[t]!;
    if (token.kind === 'option-terminator') {
      fileIndex = token.index + 1;
    } else if (token.kind === 'positional') {
      fileIndex = token.index;
    } else if (token.name in OPTIONS) {
      // (A short-option group such as -hv gives several tokens for one index.)
      own.add(token.index);
      if (token.value !== undefined && token.inlineValue === false) own.add(token.index + 1);
    } else {
      const raw = argv[token.index]!;
      const name = raw.includes('=') ? raw.slice(0, raw.indexOf('=')) : raw;
      if (!isNodeOption(name)) throw new UsageError(`unknown option ${raw}`, 'ERR_PARSE_ARGS_UNKNOWN_OPTION');
      nodeOptions.push(raw);
      if (NODE_VALUE_OPTIONS.has(name) && !raw.includes('=')) {
        const next = tokens[t + 1];
        if (next === undefined || next.kind !== 'positional') throw new UsageError(`${name} needs a value`, 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE');
        nodeOptions.push(next.value);
        t++;
      }
    }
  }
  const ownArgs = [...own].map((i) => argv[i]!);
  let values;
  try {
    ({ values } = parseArgv({ args: ownArgs, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as Error).message, (err as { code?: string }).code);
  }
  if (values.help === true) return 'help';
  if (values.version === true) return 'version';
  if (fileIndex < 0 || fileIndex >= argv.length) throw new UsageError('no program to run');
  const { spec, fibers } = splitFibersItem(values['no-patch'] === true ? 'none' : (values.patch ?? process.env.GREENSTACK_PATCH ?? ''));
  let patch: PatchOptions;
  try {
    patch = parsePatchList(spec);
  } catch (err) {
    throw new UsageError((err as Error).message, (err as { code?: string }).code);
  }
  const stackSize = values['stack-size'] === undefined ? undefined : parseSize(values['stack-size']);
  const pin = values['no-pin'] === true ? false : values.pin === true ? true : undefined;
  return {
    patch,
    fibers: fibers || values.fibers === true,
    stackSize,
    pin,
    nodeOptions,
    ownArgs,
    file: argv[fileIndex]!,
    args: argv.slice(fileIndex + 1),
  };
}

/**
 * Starts node again with the node options the command line gave, then this CLI with its
 * own options and the program, and ends as that process ends (exit code or signal).
 * Signals sent to this process and IPC messages (a parent that forked it) are relayed.
 */
function reexec(opts: CliOptions): void {
  const argv = [...process.execArgv, ...opts.nodeOptions, process.argv[1]!, ...opts.ownArgs, '--', opts.file, ...opts.args];
  const ipc = process.channel !== undefined;
  const child = spawnProcess(process.execPath, argv, {
    stdio: ipc ? ['inherit', 'inherit', 'inherit', 'ipc'] : 'inherit',
    ...(ipc && { serialization: 'advanced' as const }),
  });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];
  const relay = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of signals) process.on(signal, relay);
  if (ipc) {
    const fromParent = (message: unknown): void => {
      if (child.connected) child.send(message as object);
    };
    process.on('message', fromParent);
    child.on('message', (message) => process.send?.(message));
    process.on('disconnect', () => child.connected && child.disconnect());
    child.on('disconnect', () => {
      process.off('message', fromParent);
      if (process.connected) process.disconnect();
    });
  }
  child.on('error', (err) => {
    process.stderr.write(`greenstack: cannot start ${process.execPath}: ${err.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, relay);
    if (signal !== null) {
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return `greenstack ${pkg.version} (Node.js ${process.version})`;
}

/** Whether node would load this file as an ES module. */
function isEsm(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  if (path.extname(file) !== '.js') return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return (JSON.parse(fs.readFileSync(pj, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

const requireModule = (process.features as { require_module?: boolean }).require_module === true;

// Runs in the main fiber.
function runMain(file: string): void {
  if (!isEsm(file)) {
    loadMainModule(() => (Module as unknown as { _load(request: string, parent: null, isMain: boolean): unknown })._load(file, null, true));
    return;
  }
  if (requireModule) {
    try {
      // require(esm) evaluates a graph without top-level await synchronously.
      loadMainModule(() => (Module as unknown as { _load(request: string, parent: null, isMain: boolean): unknown })._load(file, null, false));
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    }
  }
  wait(import(pathToFileURL(file).href));
}

// Node reports a main-module error as an uncaught exception. Handed to Node as an
// unhandled rejection it gets the same output, with the source line where the
// error was made (a rethrow would show this file's line), and the same exit code;
// when the program listens for those events, or chose another
// --unhandled-rejections mode, it is rethrown as an uncaught exception instead.
function reportUncaught(err: unknown): void {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const custom =
    process.listenerCount('uncaughtException') > 0 ||
    process.listenerCount('unhandledRejection') > 0 ||
    process.hasUncaughtExceptionCaptureCallback() ||
    flags.some((f) => f.startsWith('--unhandled-rejections'));
  if (custom) {
    nextTick(() => {
      throw err;
    });
  } else {
    void Promise.reject(err);
  }
}

/** The first frame of a stack that is the program's (not greenstack's, not node's). */
function programFrame(stack: string): { file: string; line: number; column: number } | null {
  const dist = path.join(__dirname, '..') + path.sep;
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (m === null) continue;
    const file = m[1]!.startsWith('file://') ? new URL(m[1]!).pathname : m[1]!;
    if (file.startsWith(dist)) continue;
    return { file: m[1]!, line: Number(m[2]), column: Number(m[3]) };
  }
  return null;
}

// Like node's "Detected unsettled top-level await" warning: where, and the line.
function reportUnsettled(err: LoopExit | undefined): void {
  const frame = err?.blockedIn !== undefined ? programFrame(String(err.stack)) : null;
  let text = 'Warning: Detected unsettled top-level blocking call';
  if (frame !== null) {
    text += ` at ${frame.file}:${frame.line}`;
    try {
      const file = frame.file.startsWith('file://') ? new URL(frame.file).pathname : frame.file;
      const source = fs.readFileSync(file, 'utf8').split('\n')[frame.line - 1];
      if (source !== undefined) text += `\n${source}\n${' '.repeat(Math.max(0, frame.column - 1))}^`;
    } catch {
      // No source to show.
    }
  }
  if (err?.blockedIn !== undefined) {
    text += `\n(the main fiber was blocked in ${err.blockedIn} and nothing left in the event loop could wake it)`;
  }
  process.stderr.write(`${text}\n\n`);
}

function usageError(err: { message: string; code?: string }): void {
  process.stderr.write(`greenstack: ${err.message} (${err.code ?? 'ERR_GREENSTACK_CLI_USAGE'})\n\n${USAGE}\n`);
  process.exitCode = EXIT_BAD_OPTION;
}

function main(): void {
  sizeThreadpool();
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    usageError(err);
    return;
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (opts === 'version') {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (opts.nodeOptions.length > 0) {
    reexec(opts);
    return;
  }
  const file = path.resolve(opts.file);
  if (opts.stackSize !== undefined || opts.pin !== undefined) {
    try {
      configure({ ...(opts.stackSize !== undefined && { stackSize: opts.stackSize }), ...(opts.pin !== undefined && { pin: opts.pin }) });
    } catch (err) {
      // A value the runtime rejects (--stack-size=0) is a bad option, not a crash.
      const e = err as { message: string; code?: string };
      if (typeof e.code !== 'string') throw err;
      usageError({ message: `bad --stack-size or --pin: ${e.message}`, code: e.code });
      return;
    }
  }
  process.argv = [process.argv[0]!, file, ...opts.args];
  if (opts.fibers) enableFibersAlias();
  patchAll(opts.patch);

  let loopExit: LoopExit | undefined;
  let reported = false;
  const unsettled = (): void => {
    if (reported) return;
    reported = true;
    reportUnsettled(loopExit);
    process.exitCode = EXIT_UNSETTLED;
  };
  const fiber = new Fiber(
    function greenstackMain(): void {
      try {
        runMain(file);
      } catch (err) {
        if (err !== loopExit) throw err;
      } finally {
        // A program that caught the LoopExit still ends as unsettled.
        if (loopExit !== undefined) unsettled();
      }
    },
    { name: 'main' },
  );
  fiber.link((f) => {
    if (!f.successful) reportUncaught(f.error);
  });
  // The loop is empty but the main fiber is still blocked: throw LoopExit into it
  // (its finally blocks run, Waiter.get() records where it was), then exit 13. If
  // it blocks again while unwinding, exit at once.
  process.on('beforeExit', () => {
    if (fiber.dead) return;
    if (loopExit === undefined) {
      loopExit = new LoopExit();
      fiber.kill(loopExit, { block: false });
      return;
    }
    unsettled();
    process.exit(EXIT_UNSETTLED);
  });
  fiber.start();
}

main();
