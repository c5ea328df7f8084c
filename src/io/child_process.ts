// child_process.ts: greenstack/child_process, a drop-in for node:child_process whose spawnSync/execSync/execFileSync block only the calling fiber.
//
// Inside a fiber the child runs through the async spawn() while the fiber parks;
// the result object, its errors and the thrown errors are built the way Node's
// sync functions build them. Outside a fiber, and for argument shapes the async
// path does not cover (or that Node rejects), node:child_process's own sync
// function runs, so its validation errors are Node's exactly.
import cp = require('node:child_process');
import { constants as osConstants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { callbackTwins, implicitly, inFiber, machinery, type CooperativeModule } from './cooperative.js';
import { declareCooperative } from './declare.js';
import { LongTimer, Waiter } from '../core/waiter.js';
import { clearTimeout, setTimeout } from '../core/timers.js';

export * from 'node:child_process';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;
type StdioEntry = 'pipe' | 'inherit' | 'ignore' | number;

/** The sync functions greenstack makes cooperative; the patcher replaces these. */
export const syncFunctionNames = ['execFileSync', 'execSync', 'spawnSync'] as const;

// Captured at load: the patcher later replaces them on the node:child_process object.
const original = {
  spawnSync: cp.spawnSync as AnyFn,
  execSync: cp.execSync as AnyFn,
  execFileSync: cp.execFileSync as AnyFn,
};
const asyncSpawn = cp.spawn as AnyFn;

/** Grace period between killSignal and SIGKILL for a child whose fiber died. */
const KILL_GRACE_MS = 2000;

interface Plan {
  file: string;
  args: string[];
  spawnOptions: Record<string, unknown>;
  stdio: StdioEntry[];
  input: Buffer | null;
  timeout: number;
  killSignal: string | number;
  maxBuffer: number;
  encoding: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function cleanString(v: unknown): v is string {
  return typeof v === 'string' && !v.includes('\u0000');
}

const nullish = (v: unknown): v is null | undefined => v === null || v === undefined;

const signalNumbers = new Set<number>(Object.values(osConstants.signals));

// Node's convertToValidSignal: a known name (any case) or a known number.
function validSignal(v: unknown): string | number | null {
  if (nullish(v)) return 'SIGTERM';
  if (typeof v === 'number') return signalNumbers.has(v) ? v : null;
  if (typeof v === 'string') {
    const name = v.toUpperCase();
    return Object.hasOwn(osConstants.signals, name) ? name : null;
  }
  return null;
}

function stdioPlan(stdio: unknown): StdioEntry[] | null {
  const one = (s: unknown, i: number): StdioEntry | null => {
    if (nullish(s)) return i < 3 ? 'pipe' : 'ignore';
    if (s === 'pipe' || s === 'overlapped') return 'pipe';
    if (s === 'inherit' || s === 'ignore') return s;
    if (typeof s === 'number' && Number.isInteger(s) && s >= 0) return s;
    return null; // 'ipc', streams, wrap objects, { input } objects: node:child_process decides
  };
  if (nullish(stdio) || typeof stdio === 'string') {
    const e = one(stdio, 0);
    return e === null ? null : [e, e, e];
  }
  if (!Array.isArray(stdio)) return null;
  const out: StdioEntry[] = [];
  for (let i = 0; i < Math.max(3, stdio.length); i++) {
    const e = one(stdio[i], i);
    if (e === null) return null;
    out.push(e);
  }
  return out;
}

/**
 * spawnSync's arguments, normalised as Node normalises them, when they are a
 * shape the async path covers and that Node accepts; otherwise null, and
 * node:child_process's spawnSync runs (throwing its own validation error).
 */
function planSpawn(file: unknown, argsIn: unknown, optionsIn: unknown): Plan | null {
  if (!cleanString(file) || file.length === 0) return null;
  let args: string[];
  let options: unknown = optionsIn;
  if (Array.isArray(argsIn)) {
    if (!argsIn.every(cleanString)) return null;
    args = argsIn.slice();
  } else if (nullish(argsIn)) {
    args = [];
  } else if (isPlainObject(argsIn)) {
    options = argsIn;
    args = [];
  } else {
    return null;
  }
  if (nullish(options)) options = {};
  if (!isPlainObject(options)) return null;
  const o = options;
  if (!nullish(o.cwd) && !cleanString(o.cwd) && !(o.cwd instanceof URL && o.cwd.protocol === 'file:')) return null;
  for (const key of ['detached', 'windowsHide', 'windowsVerbatimArguments']) {
    if (!nullish(o[key]) && typeof o[key] !== 'boolean') return null;
  }
  for (const key of ['uid', 'gid']) {
    const v = o[key];
    if (!nullish(v) && !(typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) return null;
  }
  if (!nullish(o.shell) && typeof o.shell !== 'boolean' && !cleanString(o.shell)) return null;
  if (!nullish(o.argv0) && !cleanString(o.argv0)) return null;
  if (!nullish(o.env)) {
    if (typeof o.env !== 'object') return null;
    for (const key in o.env) {
      const v = (o.env as Record<string, unknown>)[key];
      if (v === undefined) continue;
      if (key.includes('\u0000')) return null;
      if (!(typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || cleanString(v))) return null;
    }
  }
  const timeout = o.timeout;
  if (!nullish(timeout) && !(typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 0)) return null;
  const maxBuffer = nullish(o.maxBuffer) ? 1024 * 1024 : o.maxBuffer;
  if (!(typeof maxBuffer === 'number' && maxBuffer >= 0)) return null;
  const killSignal = validSignal(o.killSignal);
  if (killSignal === null) return null;
  const stdio = stdioPlan(o.stdio);
  if (stdio === null) return null;
  let input: Buffer | null = null;
  if (o.input) {
    if (ArrayBuffer.isView(o.input)) {
      input = Buffer.from(o.input.buffer, o.input.byteOffset, o.input.byteLength);
    } else if (typeof o.input === 'string') {
      if (!nullish(o.encoding) && (typeof o.encoding !== 'string' || !Buffer.isEncoding(o.encoding))) return null;
      input = Buffer.from(o.input, (o.encoding as BufferEncoding | undefined) ?? 'utf8');
    } else {
      return null;
    }
  }
  const spawnOptions: Record<string, unknown> = {
    ...o,
    stdio: stdio.map((s, i) => (s === 'pipe' && i > 0 ? 'pipe' : s)),
    timeout: undefined,
    killSignal: undefined,
    signal: undefined, // spawnSync ignores it
  };
  return {
    file,
    args,
    spawnOptions,
    stdio,
    input,
    timeout: (timeout as number | undefined) ?? 0,
    killSignal,
    maxBuffer,
    encoding: o.encoding,
  };
}

let errnoPrototype: object | undefined;

// Node's sync errno errors (spawnSync ENOENT/ETIMEDOUT/ENOBUFS) share one
// prototype, which process.kill() errors also use: get it from a kill of a pid
// that cannot exist (signal 0 sends nothing).
function errnoError(errno: number, syscall: string): NodeJS.ErrnoException {
  if (errnoPrototype === undefined) {
    try {
      process.kill(2 ** 31 - 1, 0);
    } catch (err) {
      errnoPrototype = Object.getPrototypeOf(err) as object;
    }
    errnoPrototype ??= Error.prototype;
  }
  const code = getSystemErrorName(errno);
  const err = new Error(`${syscall} ${code}`) as NodeJS.ErrnoException;
  Object.setPrototypeOf(err, errnoPrototype);
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  return err;
}

interface Outcome {
  errno: number; // 0: none
  status: number | null;
  signal: NodeJS.Signals | null;
  output: Array<Buffer | null> | null;
  pid: number;
  spawnfile: string;
  spawnargs: string[];
}

/**
 * Runs the plan's child with the async spawn() and parks the fiber until it is
 * closed. Null when spawn() threw at once (a bad fd in stdio: EBADF): spawnSync
 * fails the same way at once, so the caller asks it for node's exact result.
 */
function runChild(plan: Plan): Outcome | null {
  const w = new Waiter<Outcome>('spawnSync()');
  // The child's listeners and timer are machinery (cooperative.ts), the wait an implicit yield.
  const started = machinery(() => startChild(plan, w));
  return started === null ? null : awaitChild(w, started);
}

interface Started {
  child: cp.ChildProcess;
  kill: () => void;
  timer: LongTimer | undefined;
}

function startChild(plan: Plan, w: Waiter<Outcome>): Started | null {
  let child: cp.ChildProcess;
  try {
    child = asyncSpawn(plan.file, plan.args, plan.spawnOptions) as cp.ChildProcess;
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException).errno === 'number') return null;
    throw err;
  }
  // EMFILE/ENFILE: spawn() reports 'error' and 'close' later and sets up no stdio at all.
  const pipes = child.stdio ?? [];
  const chunks: Array<Buffer[] | null> = plan.stdio.map((s, i) => (i > 0 && s === 'pipe' && pipes[i] ? [] : null));
  let total = 0;
  let errno = 0;
  let spawnError: NodeJS.ErrnoException | null = null;
  let timer: LongTimer | undefined;
  const kill = (): void => {
    try {
      child.kill(plan.killSignal as NodeJS.Signals);
    } catch {
      // Already gone.
    }
  };
  child.on('error', (err: NodeJS.ErrnoException) => {
    spawnError ??= err;
  });
  chunks.forEach((list, i) => {
    if (list === null) return;
    pipes[i]!.on('data', (chunk: Buffer) => {
      list.push(chunk);
      total += chunk.length;
      // Like Node's: over the limit (summed over all pipes) kills the child, and
      // what was read until it exits is kept.
      if (plan.maxBuffer > 0 && total > plan.maxBuffer && errno === 0) {
        errno = -osConstants.errno.ENOBUFS;
        kill();
      }
    });
  });
  const stdin = (pipes[0] ?? null) as NodeJS.WritableStream | null;
  if (plan.stdio[0] === 'pipe' && stdin !== null) {
    stdin.on('error', () => {}); // a child that exits without reading its input: EPIPE
    if (plan.input !== null) stdin.end(plan.input);
    else stdin.end();
  }
  if (plan.timeout > 0) {
    // A long timer: setTimeout would fire at once past 2^31-1 ms.
    timer = new LongTimer(plan.timeout, () => {
      if (errno === 0) errno = -osConstants.errno.ETIMEDOUT;
      kill();
    });
  }
  child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
    timer?.clear();
    const failed = spawnError as NodeJS.ErrnoException | null;
    w.switch({
      errno: failed !== null ? (failed.errno ?? -osConstants.errno.EINVAL) : errno,
      status: failed !== null ? null : signal !== null ? null : code,
      signal: failed !== null ? null : signal,
      output: failed !== null ? null : chunks.map((list) => (list === null ? null : Buffer.concat(list))),
      pid: failed !== null ? 0 : (child.pid ?? 0),
      spawnfile: child.spawnfile,
      spawnargs: child.spawnargs.slice(1),
    });
  });
  return { child, kill, timer };
}

function awaitChild(w: Waiter<Outcome>, { child, kill, timer }: Started): Outcome {
  try {
    return implicitly(w, 'spawnSync()');
  } catch (err) {
    // The fiber was killed or timed out: the child must not outlive its call.
    if (!w.delivered && child.exitCode === null && child.signalCode === null) {
      kill();
      const force = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, KILL_GRACE_MS);
      force.unref();
      child.once('exit', () => clearTimeout(force));
      timer?.clear();
    }
    throw err;
  }
}

let failedStdout: { value: unknown } | undefined;

// What a failed spawn's stdout/stderr are: null on Node 20, undefined on 22+.
// Asked once, of spawnSync itself, with a program that cannot exist.
function noOutput(): unknown {
  failedStdout ??= { value: (original.spawnSync('/nonexistent/greenstack-probe') as { stdout: unknown }).stdout };
  return failedStdout.value;
}

/** The object spawnSync returns, built as node:child_process builds it. */
function resultOf(plan: Plan, o: Outcome): cp.SpawnSyncReturns<Buffer | string> {
  const result: Record<string, unknown> = {};
  if (o.errno !== 0) result.error = o.errno;
  result.status = o.status;
  result.signal = o.signal;
  let output: Array<Buffer | string | null> | null = o.output;
  if (output !== null && plan.encoding && plan.encoding !== 'buffer') {
    output = output.map((b) => (b === null ? null : b.toString(plan.encoding as BufferEncoding)));
  }
  result.output = output;
  result.pid = o.pid;
  result.stdout = output === null ? noOutput() : output[1];
  result.stderr = output === null ? noOutput() : output[2];
  if (o.errno !== 0) {
    const err = errnoError(o.errno, `spawnSync ${o.spawnfile}`) as NodeJS.ErrnoException & { spawnargs?: string[] };
    err.path = o.spawnfile;
    err.spawnargs = o.spawnargs;
    result.error = err;
  }
  return result as unknown as cp.SpawnSyncReturns<Buffer | string>;
}

function coopSpawnSync(this: unknown, ...args: unknown[]): unknown {
  if (!inFiber()) return original.spawnSync.apply(this, args);
  const plan = planSpawn(args[0], args[1], args[2]);
  if (plan === null) return original.spawnSync.apply(this, args);
  const outcome = runChild(plan);
  if (outcome === null) return original.spawnSync.apply(this, args);
  return resultOf(plan, outcome);
}

// node:child_process's checkExecSyncError.
function checkExecSyncError(ret: Record<string, unknown>, args: string[] | undefined, cmd?: string): Error | undefined {
  let err: Error | undefined;
  if (ret.error) {
    err = ret.error as Error;
    Object.assign(err, ret);
  } else if (ret.status !== 0) {
    let msg = 'Command failed: ';
    msg += cmd || args!.join(' ');
    const stderr = ret.stderr as Buffer | string | null;
    if (stderr && stderr.length > 0) msg += `\n${stderr.toString()}`;
    err = new Error(msg);
    Object.assign(err, ret);
  }
  return err;
}

function coopExecSync(this: unknown, ...args: unknown[]): unknown {
  const [command, options] = args;
  // normalizeExecArgs validates the command: anything else is node's to reject.
  if (!inFiber() || !cleanString(command)) return original.execSync.apply(this, args);
  const opts: Record<string, unknown> = { ...(options as object) };
  opts.shell = typeof opts.shell === 'string' ? opts.shell : true;
  const plan = planSpawn(command, opts, undefined);
  if (plan === null) return original.execSync.apply(this, args);
  const inheritStderr = !opts.stdio;
  const outcome = runChild(plan);
  if (outcome === null) return original.execSync.apply(this, args);
  const ret = resultOf(plan, outcome) as unknown as Record<string, unknown>;
  if (inheritStderr && ret.stderr) process.stderr.write(ret.stderr as Buffer);
  const err = checkExecSyncError(ret, undefined, command);
  if (err) throw err;
  return ret.stdout;
}

function coopExecFileSync(this: unknown, ...callArgs: unknown[]): unknown {
  if (!inFiber()) return original.execFileSync.apply(this, callArgs);
  // normalizeExecFileArgs, for the shapes it accepts without a callback.
  let [file, args, options] = callArgs;
  if (Array.isArray(args)) args = args.slice();
  else if (isPlainObject(args)) {
    options = args;
    args = null;
  } else if (!nullish(args)) return original.execFileSync.apply(this, callArgs);
  if (nullish(args)) args = [];
  if (nullish(options)) options = {};
  if (!isPlainObject(options) || (!nullish(options.argv0) && !cleanString(options.argv0))) {
    return original.execFileSync.apply(this, callArgs);
  }
  const plan = planSpawn(file, args, options);
  if (plan === null) return original.execFileSync.apply(this, callArgs);
  const inheritStderr = !options.stdio;
  const outcome = runChild(plan);
  if (outcome === null) return original.execFileSync.apply(this, callArgs);
  const ret = resultOf(plan, outcome) as unknown as Record<string, unknown>;
  if (inheritStderr && ret.stderr) process.stderr.write(ret.stderr as Buffer);
  const errArgs = [(options.argv0 as string | undefined) || (file as string), ...(args as string[])];
  const err = checkExecSyncError(ret, errArgs);
  if (err) throw err;
  return ret.stdout;
}

function named<F extends AnyFn>(name: string, fn: F, like: AnyFn): F {
  Object.defineProperty(fn, 'name', { value: name });
  Object.defineProperty(fn, 'length', { value: like.length });
  return fn;
}

export const spawnSync: typeof cp.spawnSync = named('spawnSync', coopSpawnSync, original.spawnSync) as never;
export const execSync: typeof cp.execSync = named('execSync', coopExecSync, original.execSync) as never;
export const execFileSync: typeof cp.execFileSync = named('execFileSync', coopExecFileSync, original.execFileSync) as never;

const declared = declareCooperative('child_process', cp, { execFileSync, execSync, spawnSync }, callbackTwins(cp));

/** The cooperative replacements by node:child_process name. */
export const implementsSync = declared.implementsSync;

/** The declaration the patcher reads. */
export const cooperative: CooperativeModule = declared.cooperative;

/** A child_process-like object: node:child_process's members with the cooperative sync functions. */
export default declared.like;
