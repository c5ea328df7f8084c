// cli.ts: the `greenstack` command: patch mode, then the program's main module runs inside a main fiber, so its top level can block.
//
// `greenstack [options] app.js [args]` behaves like `node app.js [args]`:
// process.argv, require.main, exit codes, uncaught-error output and signals are
// Node's. CommonJS mains load through Module._load (as node does); ES module
// mains without top-level await load through require(esm), which evaluates them
// synchronously, so in the main fiber. An ES module graph with top-level await
// (or any ESM on a Node without require(esm)) is imported instead: its top level
// then runs on the hub, where it can await and spawn fibers but not block.
import fs = require('node:fs');
import Module = require('node:module');
import path = require('node:path');
import { pathToFileURL } from 'node:url';
import { LoopExit } from '../core/errors.js';
import { Fiber } from '../core/fiber.js';
import { parsePatchList, patchAll, type PatchOptions } from './patcher.js';
import { sizeThreadpool } from './threadpool.js';
import { configure } from '../core/runtime.js';
import { wait } from '../core/wait.js';

/** Node's exit code for bad command-line options. */
const EXIT_BAD_OPTION = 9;
/** Node's exit code for an unsettled top-level await. */
const EXIT_UNSETTLED = 13;

const USAGE = `Usage: greenstack [options] <app.js|app.mjs|app.cjs> [args...]

Runs a Node program with greenstack: fs, child_process, zlib and crypto (and the
other modules greenstack provides) are patched so their *Sync calls block only
the calling fiber, and the program's top level runs inside a main fiber, so it
can block, spawn fibers and join them.

Options:
  --patch=<list>        modules to patch: "all" (default), "none", a list such as
                        "fs,child_process", or "all" minus some: "-crypto"
                        (default: the GREENSTACK_PATCH environment variable)
  --no-patch            patch nothing (same as --patch=none)
  --stack-size=<size>   native stack of each fiber: bytes, or with k/m suffix
                        (default 1m; minimum 128k)
  --no-pin              do not pin the hub and fibers to one CPU (GREENSTACK_PIN=0)
  -h, --help            print this help and exit
  -v, --version         print greenstack's and Node's versions and exit

Exit codes and error output are node's; a program whose main fiber is still
blocked when nothing is left to wake it exits with code 13, like an unsettled
top-level await.`;

interface CliOptions {
  patch: PatchOptions;
  stackSize: number | undefined;
  pin: boolean | undefined;
  file: string;
  args: string[];
}

class UsageError extends Error {}

function parseSize(text: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (m === null) throw new UsageError(`invalid --stack-size "${text}": use bytes, or a number with k or m`);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * scale;
}

function parseArgs(argv: string[]): CliOptions | 'help' | 'version' {
  let patchSpec = process.env.GREENSTACK_PATCH ?? '';
  let stackSize: number | undefined;
  let pin: boolean | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const value = (): string => {
      if (eq >= 0) return arg.slice(eq + 1);
      if (i + 1 >= argv.length) throw new UsageError(`${name} needs a value`);
      return argv[++i]!;
    };
    switch (name) {
      case '-h':
      case '--help':
        return 'help';
      case '-v':
      case '--version':
        return 'version';
      case '--patch':
        patchSpec = value();
        break;
      case '--no-patch':
        patchSpec = 'none';
        break;
      case '--stack-size':
        stackSize = parseSize(value());
        break;
      case '--pin':
        pin = true;
        break;
      case '--no-pin':
        pin = false;
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  if (i >= argv.length) throw new UsageError('no program to run');
  let patch: PatchOptions;
  try {
    patch = parsePatchList(patchSpec);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { patch, stackSize, pin, file: argv[i]!, args: argv.slice(i + 1) };
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
    (Module as unknown as { _load(request: string, parent: null, isMain: boolean): unknown })._load(file, null, true);
    return;
  }
  if (requireModule) {
    try {
      // require(esm) evaluates a graph without top-level await synchronously.
      (Module as unknown as { _load(request: string, parent: null, isMain: boolean): unknown })._load(file, null, false);
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
    process.nextTick(() => {
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

function main(): void {
  sizeThreadpool();
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`greenstack: ${err.message}\n\n${USAGE}\n`);
    process.exitCode = EXIT_BAD_OPTION;
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
  const file = path.resolve(opts.file);
  process.argv = [process.argv[0]!, file, ...opts.args];
  if (opts.stackSize !== undefined || opts.pin !== undefined) {
    configure({ ...(opts.stackSize !== undefined && { stackSize: opts.stackSize }), ...(opts.pin !== undefined && { pin: opts.pin }) });
  }
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
