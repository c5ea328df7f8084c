// fs.ts: greenstack/fs, a drop-in for node:fs whose *Sync functions block only the calling fiber.
//
// Inside a fiber each *Sync function starts its callback twin on libuv and parks
// the fiber (cooperative.ts parkOnCallback()); outside a fiber it is node:fs's own function.
// Validation errors come from Node's own validators: the twin validates its
// arguments synchronously, before anything is queued, with the same validators as
// the sync function; argument shapes whose validation or meaning differs between
// the two (read/write forms, bigint positions, callbacks passed positionally...)
// run node:fs's sync function itself, which throws exactly as it always does.
import fs = require('node:fs');
import os = require('node:os');
import pathModule = require('node:path');
import { fileURLToPath } from 'node:url';
import { InvalidArgTypeError } from '../core/errors.js';
import { binding } from '../core/native.js';
import { Waiter } from '../core/waiter.js';
import { ANY_TARGET, callbackTwins, first, inFiber, inPlace, NOT_IN_PLACE, parkOnCallback, type CooperativeModule, type NodeCallback } from './cooperative.js';
import { declareCooperative } from './declare.js';

export * from 'node:fs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;
type Args = unknown[];

/**
 * Every *Sync function of node:fs that greenstack makes cooperative (Node 20-24).
 * This list, not a scan of node:fs, is what the patcher replaces; a test checks it
 * covers every *Sync function the running Node has. Names this Node lacks
 * (globSync before 22, lchmodSync off macOS) are skipped.
 */
export const syncFunctionNames = [
  'accessSync',
  'appendFileSync',
  'chmodSync',
  'chownSync',
  'closeSync',
  'copyFileSync',
  'cpSync',
  'existsSync',
  'fchmodSync',
  'fchownSync',
  'fdatasyncSync',
  'fstatSync',
  'fsyncSync',
  'ftruncateSync',
  'futimesSync',
  'globSync',
  'lchmodSync',
  'lchownSync',
  'linkSync',
  'lstatSync',
  'lutimesSync',
  'mkdirSync',
  'mkdtempDisposableSync',
  'mkdtempSync',
  'opendirSync',
  'openSync',
  'readdirSync',
  'readFileSync',
  'readlinkSync',
  'readSync',
  'readvSync',
  'realpathSync',
  'renameSync',
  'rmdirSync',
  'rmSync',
  'statfsSync',
  'statSync',
  'symlinkSync',
  'truncateSync',
  'unlinkSync',
  'utimesSync',
  'writeFileSync',
  'writeSync',
  'writevSync',
] as const;

export type SyncFunctionName = (typeof syncFunctionNames)[number];

/** The *Sync functions node:fs has in this process (enumerated at load). */
export const nodeSyncFunctionNames: readonly string[] = Object.keys(fs).filter(
  (k) => k.endsWith('Sync') && typeof (fs as unknown as Record<string, unknown>)[k] === 'function',
);

const nodeFs = fs as unknown as Record<string, AnyFn | undefined>;
// Captured at load: the patcher later replaces the sync ones on the node:fs object.
const original: Record<string, AnyFn> = {};
for (const name of [...syncFunctionNames, ...nodeSyncFunctionNames]) {
  const f = nodeFs[name];
  if (typeof f === 'function') original[name] = f;
}
const twin: Record<string, AnyFn> = {};
for (const name of Object.keys(original)) {
  const f = nodeFs[name.slice(0, -4)];
  if (typeof f === 'function') twin[name] = f;
}
const nativeRealpathSync = fs.realpathSync.native as AnyFn;
const nativeRealpath = fs.realpath.native as AnyFn;
const closeQuietly = (fd: number): void => fs.close(fd, () => {});

interface Spec {
  /** Positional parameters of the sync function (extra arguments are ignored, as Node does). */
  arity: number;
  /** Shapes to leave to node:fs's own sync function (exotic or invalid arguments). */
  direct?: (args: Args) => boolean;
  /** Starts the async work; default: twin(...args padded to arity, cb). */
  start?: (args: Args, cb: NodeCallback) => void;
  /** The sync return value from the callback's results; default: the first. */
  pick?: (results: unknown[], args: Args) => unknown;
  /**
   * Undoes a result the fiber will never receive (it was killed or timed out):
   * closes a late fd, removes a directory it created.
   */
  discard?: (value: unknown, args: Args) => void;
  /** The fiber gave up while the call was still pending: help it complete (a FIFO open). */
  abandon?: (args: Args) => void;
  /** Makes an async error look like the sync function's error. */
  fixError?: (err: unknown, args: Args) => unknown;
  /** Runs in the fiber on the value it received: the sync return value. */
  after?: (value: unknown, args: Args) => unknown;
  /** Applied to the value of node's own sync function too (outside fibers). */
  wrap?: (value: unknown) => unknown;
  /** The file a whole-file write replaces (see lockFile): its resolved path, or undefined. */
  wholeFile?: (args: Args) => string | undefined;
}

// Whether one of the first arity arguments is a function (a loop: this is every call's path).
function hasFunction(args: Args, arity: number): boolean {
  for (let i = 0; i < arity && i < args.length; i++) if (typeof args[i] === 'function') return true;
  return false;
}

// Node 20 aborts the process (a CHECK in its binding) on -0 as an fd or mode, and on a
// mode from 2^31 to 2^32-1, sync or not: those become 0 and the mode's int32. A copy
// only when one is there.
function normalized(args: Args, modeAt: number): Args {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'number' && (Object.is(a, -0) || (i === modeAt && a >= 2 ** 31 && a < 2 ** 32))) {
      return args.map((v, j) => (Object.is(v, -0) ? 0 : j === modeAt && typeof v === 'number' && v >= 2 ** 31 && v < 2 ** 32 ? v | 0 : v));
    }
  }
  return args;
}

function pad(args: Args, arity: number): Args {
  const out = args.slice(0, arity);
  while (out.length < arity) out.push(undefined);
  return out;
}

function isFd(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2 ** 31 - 1;
}

function isPlainOptions(v: unknown): v is Record<string | symbol, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Whole-file calls by path run in place (cooperative.inPlace) only on a regular file
// (or, for writes, one that does not exist yet): never a FIFO or a device, whose other
// end may be another fiber. Other flags, fds and signals take the usual way.
const WHOLE_FILE = new Set(['readFileSync', 'writeFileSync', 'appendFileSync']);
const statQuiet = original.statSync as (p: unknown, o: { throwIfNoEntry: false }) => fs.Stats | undefined;

function regularTarget(name: string, args: Args): boolean {
  const [target, , third] = args;
  const options = name === 'readFileSync' ? args[1] : third;
  if (typeof target !== 'string' && !Buffer.isBuffer(target) && !(target instanceof URL)) return false;
  if (options !== undefined && typeof options !== 'string') {
    if (!isPlainOptions(options) || options.signal !== undefined) return false;
    const flag = options.flag;
    if (flag !== undefined && flag !== (name === 'readFileSync' ? 'r' : name === 'writeFileSync' ? 'w' : 'a')) return false;
  }
  // A write of another fiber to this path is still running on libuv: wait for it in line.
  if (name !== 'readFileSync' && fileWaiters.size > 0 && fileWaiters.has(wholeFilePath(target) ?? '')) return false;
  // A string path without NUL (node rejects those): one stat() in the addon.
  if (typeof target === 'string' && fileType !== undefined && !target.includes('\0')) {
    const type = fileType(target);
    return type === S_IFREG || (type === -ENOENT && name !== 'readFileSync');
  }
  try {
    const st = statQuiet(target, { throwIfNoEntry: false });
    return st === undefined ? name !== 'readFileSync' : st.isFile();
  } catch {
    return false; // the usual way gives node's error
  }
}
const fileType = binding.fileType;
const readFile = binding.readFile;

// readFileSync(path string, no flag but 'r'): the addon stat()s the path (a FIFO or a
// device is never opened), then reads the regular file whole in one call, with node's
// own syscalls after that stat(). Anything else takes regularTarget's way.
function wholeReadable(args: Args): boolean {
  const [target, options] = args;
  if (typeof target !== 'string' || target.includes('\0')) return false;
  if (options === undefined || options === null) return true;
  if (typeof options === 'string') return Buffer.isEncoding(options);
  if (!isPlainOptions(options) || options.signal !== undefined) return false;
  const { encoding, flag } = options;
  return (flag === undefined || flag === 'r') && (encoding === undefined || encoding === null || (typeof encoding === 'string' && Buffer.isEncoding(encoding)));
}

// Run in place (cooperative.inPlace) for wholeReadable() arguments: the file's contents,
// decoded as node decodes them; NOT_IN_PLACE for no regular file; on an error, node's
// own function answers (its error, in its words).
function readWhole(this: unknown, ...args: Args): unknown {
  const contents = readFile!(args[0] as string);
  if (typeof contents === 'number') return contents === 0 ? NOT_IN_PLACE : original.readFileSync!.apply(this, args);
  const options = args[1];
  const encoding = (typeof options === 'string' ? options : (options as { encoding?: string | null } | null | undefined)?.encoding) as BufferEncoding | null | undefined;
  return encoding === undefined || encoding === null ? contents : contents.toString(encoding);
}
const S_IFREG = fs.constants.S_IFREG;
const ENOENT = os.constants.errno.ENOENT;
// The functions whose first argument is an fd.
const FD_FIRST = /^(f[a-z]+Sync|closeSync|readv?Sync|writev?Sync)$/;
// Where a positional file mode goes.
const MODE_AT: Record<string, number> = { chmodSync: 1, fchmodSync: 1, lchmodSync: 1, mkdirSync: 1, openSync: 2 };

function makeCooperative(name: string, spec: Spec): AnyFn | undefined {
  const orig = original[name];
  const asyncFn = twin[name];
  if (orig === undefined) return undefined;
  const fdFirst = FD_FIRST.test(name);
  const modeAt = MODE_AT[name] ?? -1;
  const regularFile = WHOLE_FILE.has(name) ? regularTarget : undefined;
  const readsWhole = name === 'readFileSync' && readFile !== undefined;
  // What the quick path reads, as constants of this closure: every coop shares one
  // feedback vector, so spec.x loads there would be megamorphic on the hottest path.
  const { arity, direct, wrap } = spec;
  const coop = {
    [name](this: unknown, ...args: Args): unknown {
      // Node 20 aborts the process (a CHECK in its binding) on a Symbol fd.
      if (fdFirst && typeof args[0] === 'symbol') throw new InvalidArgTypeError('fd', 'of type number', args[0]);
      args = normalized(args, modeAt);
      // A function among the positional arguments: the twin would take it for its
      // callback. Node's sync function ignores or rejects it; let it.
      if (!inFiber() || hasFunction(args, arity) || (direct !== undefined && direct(args))) {
        const value = orig.apply(this, args);
        return wrap === undefined ? value : wrap(value);
      }
      const quick = readsWhole && wholeReadable(args) ? inPlace(name, readWhole, this, args, ANY_TARGET) : inPlace(name, orig, this, args, regularFile);
      if (quick !== NOT_IN_PLACE) return wrap === undefined ? quick : wrap(quick);
      const start = spec.start ?? ((a: Args, cb: NodeCallback) => asyncFn!(...pad(a, spec.arity), cb));
      const pick = spec.pick === undefined ? first : (results: unknown[]) => spec.pick!(results, args);
      const fix = spec.fixError;
      const run = fix === undefined ? start : (a: Args, cb: NodeCallback) =>
        start(a, (err, ...results) => cb(err == null ? err : fix(err, a), ...results));
      let rejected = false;
      let completed = false;
      let started = false;
      let value: unknown;
      const discard = spec.discard === undefined ? undefined : (v: unknown) => spec.discard!(v, args);
      // A whole-file write holds its path's lock until the operation really ended.
      const file = spec.wholeFile?.(args);
      if (file !== undefined) lockFile(file, name);
      try {
        value = parkOnCallback(name, (cb) => {
          started = true;
          const done: NodeCallback = (...results) => {
            completed = true;
            cb(...results);
          };
          try {
            if (file === undefined) run(args, done);
            else runHoldingFile(file, run, args, done);
          } catch (err) {
            rejected = true;
            throw err;
          }
        }, pick, discard);
      } catch (err) {
        if (file !== undefined && !started) unlockFile(file);
        if (!rejected) {
          if (!completed) spec.abandon?.(args);
          throw err;
        }
        // The twin rejected its arguments before queueing anything. The sync
        // function may check them in another order (or do IO first: truncateSync
        // opens before it checks len): its own error, or result, is node's answer.
        const direct = orig.apply(this, args);
        return spec.wrap === undefined ? direct : spec.wrap(direct);
      }
      return spec.after === undefined ? value : spec.after(value, args);
    },
  }[name]!;
  Object.defineProperty(coop, 'length', { value: orig.length });
  return coop;
}

// --- stdio ----------------------------------------------------------------------

// Writes to fds 0-2 (what console.log and process.stdout/stderr use when they are
// files: SyncWriteStream calls fs.writeSync) run node's own sync function on the
// calling thread, never parked: they stay in program order, one log line never
// waits behind threadpool work of other fibers, and a line written before another
// fiber calls process.exit() is in the file.
function isStdioFd(fd: unknown): boolean {
  return fd === 0 || fd === 1 || fd === 2;
}

// The same for a path naming the process's stdio (writeFileSync('/dev/stdout', ...)).
const stdioPaths = new Set(
  ['/dev/stdin', '/dev/stdout', '/dev/stderr'].concat(
    ...[0, 1, 2].map((n) => [`/dev/fd/${n}`, `/proc/self/fd/${n}`, `/proc/${process.pid}/fd/${n}`]),
  ),
);

function isStdioTarget(target: unknown): boolean {
  if (isStdioFd(target)) return true;
  if (typeof target === 'string') return stdioPaths.has(target);
  if (target instanceof URL) return target.protocol === 'file:' && stdioPaths.has(target.pathname);
  return false;
}

/** Spec.direct for functions whose first argument is the fd (or path) written to. */
function stdioFirst(args: Args): boolean {
  return isStdioTarget(args[0]);
}

// --- whole-file writes -----------------------------------------------------------

// writeFileSync, appendFileSync and copyFileSync replace or extend a whole file in
// one sync call: under node no other code can run in between, so two of them to one
// path never mix. In fibers each is several threadpool jobs (open, write chunks,
// close); a per-path lock keeps them whole with respect to other fibers. The lock
// is taken in the fiber before the operation starts and released by the
// operation's own callback, so a fiber killed or timed out while parked keeps it
// until its write really ended: the next writer never overlaps a write still
// running on libuv. Paths are resolved against the cwd, not through symlinks.
// Value: the fibers waiting for the path, first come first served; present while
// a write holds it.
const fileWaiters = new Map<string, Array<Waiter<void>>>();

function lockFile(file: string, what: string): void {
  const queue = fileWaiters.get(file);
  if (queue === undefined) {
    fileWaiters.set(file, []);
    return;
  }
  const w = new Waiter<void>(what);
  queue.push(w);
  try {
    w.get(undefined, what);
  } catch (err) {
    // Killed (or timed out) while waiting: leave the queue; if the lock had just
    // been handed over, pass it on.
    if (w.delivered) unlockFile(file);
    else queue.splice(queue.indexOf(w), 1);
    throw err;
  }
}

function unlockFile(file: string): void {
  const queue = fileWaiters.get(file);
  if (queue === undefined) return;
  while (queue.length > 0) {
    if (queue.shift()!.switch(undefined)) return;
  }
  fileWaiters.delete(file);
}

// Starts the operation holding file's lock; releases it when the operation ends
// (or fails to start).
function runHoldingFile(file: string, run: (a: Args, cb: NodeCallback) => void, args: Args, cb: NodeCallback): void {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    unlockFile(file);
  };
  try {
    run(args, (err, ...results) => {
      release();
      cb(err, ...results);
    });
  } catch (err) {
    release();
    throw err;
  }
}

/** The resolved path a whole-file write goes to, or undefined (an fd, or a path node will reject). */
function wholeFilePath(target: unknown): string | undefined {
  try {
    if (typeof target === 'string') return pathModule.resolve(target);
    if (Buffer.isBuffer(target)) return pathModule.resolve(target.toString());
    if (target instanceof URL) return pathModule.resolve(fileURLToPath(target));
  } catch {
    // Let node:fs report the bad path.
  }
  return undefined;
}

/** A uv error rebuilt the way node:fs's sync binding words it (other path, no path). */
function reshapeUvError(err: unknown, path: string | undefined): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as NodeJS.ErrnoException;
  const quoted = e.path === undefined ? '' : ` '${e.path}'`;
  if (quoted === '' || !e.message.endsWith(quoted)) return err;
  let message = e.message.slice(0, -quoted.length);
  if (path !== undefined) message += ` '${path}'`;
  const out = new Error(message) as NodeJS.ErrnoException;
  out.errno = e.errno;
  out.code = e.code;
  out.syscall = e.syscall;
  if (path !== undefined) out.path = path;
  const dest = (e as { dest?: unknown }).dest;
  if (dest !== undefined) (out as { dest?: unknown }).dest = dest;
  return out;
}

// --- specs --------------------------------------------------------------------

const simple = (arity: number): Spec => ({ arity });

function statSpec(name: 'statSync' | 'lstatSync'): Spec {
  return {
    arity: 2,
    // null options: Node 24's sync function throws (reading null.bigint), Node 20/22's
    // takes the defaults; node's own answer either way.
    direct: ([, options]) => options === null,
    start(args, cb) {
      const options = args[1] as { throwIfNoEntry?: unknown } | undefined;
      twin[name]!(args[0], options, (err: NodeJS.ErrnoException | null, stats: unknown) => {
        if (err !== null && options != null && options.throwIfNoEntry === false) {
          if (err.code === 'ENOENT') return cb(null, undefined);
          // Node 22+ also returns undefined for ENOTDIR, Node 20 throws: ask Node itself.
          if (err.code === 'ENOTDIR') {
            try {
              return cb(null, original[name]!(args[0], options));
            } catch (e) {
              return cb(e);
            }
          }
        }
        cb(err, stats);
      });
    },
  };
}

// readSync into a private buffer, copied into the caller's on success: a fiber
// killed mid-read never has late bytes land in a buffer it handed back to its caller.
const readSyncSpec: Spec = {
  arity: 5,
  direct: (args) => readPlan(args) === null,
  start(args, cb) {
    const plan = readPlan(args)!;
    if (plan.length === 0) return cb(null, { n: 0, scratch: [] });
    const scratch = Buffer.allocUnsafe(plan.length);
    twin.readSync!(args[0], scratch, 0, plan.length, plan.position, (err: unknown, n: number) =>
      err ? cb(err) : cb(null, { n, scratch: [scratch] }),
    );
  },
  after: (value, args) => copyOut(value as ScratchRead, [args[1] as ArrayBufferView], readPlan(args)!.offset),
};

/** What a read into private buffers returned; copied out in the fiber once it has it. */
interface ScratchRead {
  n: number;
  scratch: Buffer[];
}

function copyOut(r: ScratchRead, targets: ArrayBufferView[], offset: number): number {
  let left = r.n;
  for (let i = 0; i < targets.length && left > 0; i++) {
    const t = targets[i]!;
    const view = new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
    const k = Math.min(left, r.scratch[i]!.length);
    r.scratch[i]!.copy(view, i === 0 ? offset : 0, 0, k);
    left -= k;
  }
  return r.n;
}

interface ReadPlan {
  offset: number;
  length: number;
  position: number;
}

// The arguments readSync would accept, normalised as readSync does; null for
// anything else (node:fs's readSync then throws, or handles the exotic shape).
function readPlan(args: Args): ReadPlan | null {
  const [fd, buffer, offsetOrOptions] = args;
  if (!isFd(fd) || !ArrayBuffer.isView(buffer)) return null;
  let offset: unknown;
  let length: unknown;
  let position: unknown;
  if (args.length <= 3 || typeof offsetOrOptions === 'object') {
    if (offsetOrOptions !== undefined && offsetOrOptions !== null && !isPlainOptions(offsetOrOptions)) return null;
    const o = (offsetOrOptions ?? {}) as Record<string, unknown>;
    offset = o.offset === undefined ? 0 : o.offset;
    length = o.length === undefined ? buffer.byteLength - (offset as number) : o.length;
    position = o.position === undefined ? null : o.position;
  } else {
    [, , offset, length, position] = args;
  }
  if (offset === undefined) offset = 0;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return null;
  if (length !== undefined && length !== null && typeof length !== 'number') return null;
  const len = (length as number) | 0;
  if (len === 0) return { offset, length: 0, position: -1 };
  if (buffer.byteLength === 0 || len < 0 || offset + len > buffer.byteLength) return null;
  if (position === null || position === undefined) position = -1;
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < -1) return null;
  return { offset, length: len, position };
}

const readvSyncSpec: Spec = {
  arity: 3,
  direct: ([fd, buffers]) => !isFd(fd) || !Array.isArray(buffers) || !buffers.every((b) => ArrayBuffer.isView(b)),
  start([fd, buffers, position], cb) {
    const scratch = (buffers as ArrayBufferView[]).map((b) => Buffer.allocUnsafe(b.byteLength));
    twin.readvSync!(fd, scratch, position, (err: unknown, n: number) => (err ? cb(err) : cb(null, { n, scratch })));
  },
  after: (value, args) => copyOut(value as ScratchRead, args[1] as ArrayBufferView[], 0),
};

const writeSyncSpec: Spec = {
  arity: 5,
  direct([fd, buffer, offsetOrOptions, , position]) {
    if (!isFd(fd) || isStdioFd(fd)) return true;
    if (typeof buffer === 'string') return false;
    if (!ArrayBuffer.isView(buffer)) return true;
    // writeSync hands a bigint (or other) position to the binding; write() turns it into null.
    const pos = typeof offsetOrOptions === 'object' && offsetOrOptions !== null ? (offsetOrOptions as { position?: unknown }).position : position;
    return !(pos === undefined || pos === null || typeof pos === 'number');
  },
  // writeSync builds its uv errors from a context object: errno, syscall, then code.
  fixError(err) {
    const e = err as { code?: unknown };
    if (err instanceof Error && Object.hasOwn(err, 'syscall') && Object.hasOwn(err, 'code')) {
      const code = e.code;
      delete e.code;
      e.code = code;
    }
    return err;
  },
  start([fd, buffer, offsetOrOptions, length, position], cb) {
    // String form: write(fd, string, position, encoding, cb).
    if (typeof buffer === 'string') twin.writeSync!(fd, buffer, offsetOrOptions, length, cb);
    else twin.writeSync!(fd, buffer, offsetOrOptions, length, position, cb);
  },
};

const writevSyncSpec: Spec = {
  arity: 3,
  direct: ([fd, buffers]) =>
    !isFd(fd) ||
    isStdioFd(fd) || !Array.isArray(buffers) || buffers.length === 0 || !buffers.every((b) => ArrayBuffer.isView(b)),
};

const existsSyncSpec: Spec = {
  arity: 1,
  start([path], cb) {
    try {
      fs.access(path as fs.PathLike, fs.constants.F_OK, (err) => cb(null, err === null));
    } catch {
      // An invalid path: existsSync returns false without touching the disk (and
      // Node 24 warns about it): let it.
      cb(null, original.existsSync!(path));
    }
  },
};

// What a killed call leaves behind. libuv cannot cancel a threadpool job that has
// started, so a killed call completes anyway and its result is undone here: a late
// fd is closed; a file that `wx`-style flags (O_CREAT|O_EXCL) made, a directory
// mkdirSync or mkdtempSync made, is removed (a directory only while still empty).
//
// An open of a FIFO blocks its threadpool thread until the other end is opened;
// four such opens would stall every fs call of the process. So when a fiber gives
// up on an open of a FIFO, the other end is opened (non-blocking) and closed at
// once: the open completes, and its fd is closed as above. Side effect: another
// process blocked opening the same FIFO at that moment is released too (a reader
// then reads EOF, a writer gets EPIPE).
function releaseFifoOpen(path: unknown, flags: unknown): void {
  const access = openAccess(flags);
  if (access === null || access === fs.constants.O_RDWR) return; // O_RDWR never blocks on a FIFO
  const other = (access === fs.constants.O_RDONLY ? fs.constants.O_WRONLY : fs.constants.O_RDONLY) | fs.constants.O_NONBLOCK;
  try {
    fs.stat(path as fs.PathLike, (err, st) => {
      if (err !== null || !st.isFIFO()) return;
      fs.open(path as fs.PathLike, other, (e, fd) => {
        if (e === null) closeQuietly(fd);
      });
    });
  } catch {
    // Not a path (an fd, invalid): nothing to release.
  }
}

// O_RDONLY, O_WRONLY or O_RDWR of open flags (string or number); null if unknown.
function openAccess(flags: unknown): number | null {
  const { O_ACCMODE = 3, O_RDONLY, O_WRONLY, O_RDWR } = fs.constants as typeof fs.constants & { O_ACCMODE?: number };
  if (flags === undefined || flags === null) return O_RDONLY;
  if (typeof flags === 'number') return flags & O_ACCMODE;
  if (typeof flags !== 'string') return null;
  if (flags.includes('+')) return O_RDWR;
  if (/^(r|rs|sr)$/.test(flags)) return O_RDONLY;
  if (/^[wa]x?$|^x[wa]$|^(as|sa)$/.test(flags)) return O_WRONLY;
  return null;
}

function createsExclusively(flags: unknown): boolean {
  const { O_CREAT, O_EXCL } = fs.constants;
  if (typeof flags === 'number') return (flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL);
  return typeof flags === 'string' && flags.includes('x');
}

const openSyncSpec: Spec = {
  arity: 3,
  discard(fd, [path, flags]) {
    closeQuietly(fd as number);
    if (createsExclusively(flags)) fs.unlink(path as fs.PathLike, () => {});
  },
  abandon: ([path, flags]) => releaseFifoOpen(path, flags),
};

// mkdirSync: non-recursive, the directory named; recursive, every level from the
// first one it made (its return value) down to the one named, deepest first.
const mkdirSyncSpec: Spec = {
  arity: 2,
  discard(first, [path, options]) {
    const recursive = isPlainOptions(options) && options.recursive === true;
    if (recursive && typeof first !== 'string') return; // it made nothing
    const target = pathModule.resolve(String(path instanceof URL ? fileURLToPath(path) : path));
    const levels = [target];
    if (recursive) {
      for (let p = target; p !== first && pathModule.dirname(p) !== p; ) levels.push((p = pathModule.dirname(p)));
    }
    const next = (i: number): void => {
      if (i < levels.length) fs.rmdir(levels[i]!, (err) => err === null && next(i + 1));
    };
    next(0);
  },
};

// A Dir from greenstack's opendirSync gets cooperative readSync/closeSync of its
// own (non-enumerable; node's Dir class itself is not touched): in a fiber they
// run dir.read(cb)/dir.close(cb) and park, elsewhere they are Dir's own.
function cooperativeDir(dir: fs.Dir): fs.Dir {
  const proto = Object.getPrototypeOf(dir) as fs.Dir;
  const define = (name: 'readSync' | 'closeSync', value: () => unknown) =>
    Object.defineProperty(dir, name, { value, writable: true, configurable: true, enumerable: false });
  define('readSync', function readSync(this: fs.Dir) {
    if (!inFiber()) return proto.readSync.call(this);
    return parkOnCallback('Dir.readSync', (cb) => this.read(cb), first);
  });
  define('closeSync', function closeSync(this: fs.Dir) {
    if (!inFiber()) return proto.closeSync.call(this);
    return parkOnCallback('Dir.closeSync', (cb) => this.close(cb), () => undefined);
  });
  return dir;
}

const opendirSyncSpec: Spec = {
  arity: 2,
  // A bad bufferSize throws inside opendir's callback (on the hub): let node:fs throw it here.
  direct([, options]) {
    if (!isPlainOptions(options) || options.bufferSize === undefined) return false;
    const b = options.bufferSize;
    return !(typeof b === 'number' && Number.isInteger(b) && b >= 1 && b <= 4294967295);
  },
  discard: (dir) => (dir as fs.Dir).close(() => {}),
  // opendirSync's error names no path.
  fixError: (err) => reshapeUvError(err, undefined),
  after: (dir) => cooperativeDir(dir as fs.Dir),
  wrap: (dir) => cooperativeDir(dir as fs.Dir),
};

const mkdtempSyncSpec: Spec = {
  arity: 2,
  // A killed mkdtempSync made a directory nobody will ever learn the name of.
  discard: (dir) => fs.rmdir(dir as fs.PathLike, () => {}),
  // mkdtempSync reports the template (prefix + XXXXXX), mkdtemp the name it tried.
  fixError(err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e?.path !== 'string' || e.path.length < 6) return err;
    return reshapeUvError(err, `${e.path.slice(0, -6)}XXXXXX`);
  },
};

function encodingIsUtf8(options: unknown): boolean {
  if (options === undefined || options === null) return true;
  if (typeof options === 'string') return options === 'utf8' || options === 'utf-8';
  const enc = (options as { encoding?: unknown }).encoding;
  return enc === undefined || enc === null || enc === 'utf8' || enc === 'utf-8';
}

const readdirSyncSpec: Spec = {
  arity: 2,
  // The recursive walk below covers string paths with utf8 names; other shapes
  // (Buffer paths, other encodings, a non-boolean recursive) go to node:fs.
  direct([path, options]) {
    if (!isPlainOptions(options) || options.recursive == null || options.recursive === false) return false;
    return options.recursive !== true || typeof path !== 'string' || !encodingIsUtf8(options);
  },
  start(args, cb) {
    const options = args[1];
    if (isPlainOptions(options) && options.recursive === true && readdirWalksOnHub) {
      cb(null, readdirRecursive(args[0] as string, options));
      return;
    }
    twin.readdirSync!(args[0], options, cb);
  },
};

// Node 20's readdir({ recursive: true }) walks synchronously (readdirSyncRecursive)
// inside the call; Node 22+ walks asynchronously in readdirSync's order.
const readdirWalksOnHub = fs.readdir.toString().includes('readdirSyncRecursive');

// readdirSync({ recursive: true }) in a fiber on Node 20: Node 20's order (breadth
// first, symlinks followed only without withFileTypes), one cooperative readdir
// per directory. (fs.promises walks depth first.)
function readdirRecursive(base: string, options: Record<string | symbol, unknown>): unknown[] {
  const withFileTypes = Boolean(options.withFileTypes);
  const listOptions = { ...options, recursive: false, withFileTypes: true };
  const results: unknown[] = [];
  const queue = [base];
  for (let i = 0; i < queue.length; i++) {
    const dir = queue[i]!;
    const entries = parkOnCallback('readdirSync', (cb) => twin.readdirSync!(dir, listOptions, cb), first<fs.Dirent[]>);
    for (const d of entries) {
      const full = pathModule.join(dir, d.name);
      if (withFileTypes) {
        results.push(d);
        if (d.isDirectory()) queue.push(pathModule.join((d as { parentPath?: string }).parentPath ?? dir, d.name));
        continue;
      }
      results.push(pathModule.relative(base, full));
      // Node stats each entry (following symlinks) to decide whether to descend.
      let isDir = d.isDirectory();
      if (d.isSymbolicLink() || (!isDir && !d.isFile() && !d.isFIFO() && !d.isSocket() && !d.isCharacterDevice() && !d.isBlockDevice())) {
        isDir = parkOnCallback('readdirSync', (cb) => fs.stat(full, (err, st) => cb(null, err === null && st.isDirectory())), first<boolean>);
      }
      if (isDir) queue.push(full);
    }
  }
  return results;
}

function withoutSignal(options: unknown): unknown {
  // readFileSync/writeFileSync ignore `signal`; their twins would honour it.
  if (isPlainOptions(options) && options.signal instanceof AbortSignal) return { ...options, signal: undefined };
  return options;
}

const readFileSyncSpec: Spec = {
  arity: 2,
  abandon: ([path, options]) => {
    if (typeof path !== 'number') releaseFifoOpen(path, isPlainOptions(options) ? (options.flag ?? 'r') : 'r');
  },
  // A number that is no fd, or options node rejects: readFileSync throws before any IO.
  // A buffer as options: Node 24 rejects it (options.buffer) before touching the fd.
  direct: ([path, options]) =>
    typeof path === 'number' && (!isFd(path) || fdReadEncoding(options) === false || ArrayBuffer.isView(options)),
  start([path, options], cb) {
    if (typeof path === 'number') readFromFd(path, fdReadEncoding(options) as BufferEncoding | undefined, cb);
    else twin.readFileSync!(path, withoutSignal(options), cb);
  },
};

// readFileSync's getOptions() for an fd: the encoding (undefined: a Buffer), or
// false for options it rejects.
function fdReadEncoding(options: unknown): BufferEncoding | undefined | false {
  let enc: unknown;
  if (options === null || options === undefined || typeof options === 'function') enc = undefined;
  else if (typeof options === 'string') enc = options;
  else if (typeof options === 'object') enc = (options as { encoding?: unknown }).encoding;
  else return false;
  if (enc === undefined || enc === null || enc === 'buffer') return undefined;
  return typeof enc === 'string' && Buffer.isEncoding(enc) ? enc : false;
}

// readFileSync(fd) the way node's sync function reads it (fstat, then read from the
// current position until EOF), with its errors (EBADF from fstat, EISDIR from read).
// node's async readFile mishandles bad user fds: a RangeError thrown on the hub for
// -1, a TypeError about a "list" argument for a closed fd.
function readFromFd(fd: number, encoding: BufferEncoding | undefined, cb: NodeCallback): void {
  // Node 20.x+ reads utf8 in C++ without an fstat (so its error is read's, not fstat's).
  if ((encoding === 'utf8' || encoding === 'utf-8') && readsUtf8WithoutFstat) return readToEnd(fd, 0, encoding, cb);
  fs.fstat(fd, (err, st) => (err !== null ? cb(err) : readToEnd(fd, st.isFile() ? st.size : 0, encoding, cb)));
}

const readsUtf8WithoutFstat = String(original.readFileSync).includes('readFileUtf8');

/** Reads until EOF, or until size bytes when the size is known (a regular file). */
function readToEnd(fd: number, size: number, encoding: BufferEncoding | undefined, cb: NodeCallback): void {
  const chunks: Buffer[] = [];
  let total = 0;
  const next = (): void => {
    const buf = Buffer.allocUnsafe(size > 0 ? size - total : 64 * 1024);
    fs.read(fd, buf, 0, buf.length, -1, (err, n) => {
      if (err !== null) return cb(err);
      chunks.push(buf.subarray(0, n));
      total += n;
      if (n === 0 || (size > 0 && total >= size)) {
        const data = Buffer.concat(chunks);
        return cb(null, encoding === undefined ? data : data.toString(encoding));
      }
      next();
    });
  };
  next();
}

const writeFileSyncSpec = (name: 'writeFileSync' | 'appendFileSync'): Spec => ({
  arity: 3,
  abandon: ([path, , options]) => {
    if (typeof path !== 'number') releaseFifoOpen(path, isPlainOptions(options) ? (options.flag ?? (name === 'writeFileSync' ? 'w' : 'a')) : 'w');
  },
  direct: stdioFirst,
  wholeFile: ([path]) => wholeFilePath(path),
  start: ([path, data, options], cb) => twin[name]!(path, data, withoutSignal(options), cb),
});

// cp reports its own checks (is a directory, copy into itself...) with another
// errno than cpSync, and Node 22+ checks in C++ with other shapes. Those checks
// fail on the top-level paths before anything is copied, so for them cpSync
// itself is asked (on the hub): it throws its own error, or does the copy if the
// tree changed in between, exactly as the sync call would have.
const cpSyncSpec: Spec = {
  arity: 3,
  start(args, cb) {
    twin.cpSync!(...pad(args, 3), (err: unknown) => {
      if (err == null) return cb(null);
      const e = err as { code?: unknown; path?: unknown };
      const top = [args[0], args[1]].map((p) => (p instanceof URL ? fileURLToPath(p) : String(p)));
      if (typeof e.code === 'string' && e.code.startsWith('ERR_FS_') && top.includes(String(e.path))) {
        try {
          original.cpSync!(...args);
          return cb(null);
        } catch (syncErr) {
          return cb(syncErr);
        }
      }
      cb(err);
    });
  },
};

const realpathSyncSpec: Spec = {
  arity: 2,
  // The module loader passes its private cache under a symbol key: node:fs then
  // answers from the cache, as it does for every require().
  direct: ([, options]) => isPlainOptions(options) && Object.getOwnPropertySymbols(options).length > 0,
};

const specs: Record<string, Spec> = {
  accessSync: simple(2),
  appendFileSync: writeFileSyncSpec('appendFileSync'),
  chmodSync: simple(2),
  chownSync: simple(3),
  closeSync: simple(1),
  copyFileSync: { arity: 3, wholeFile: ([, dest]) => wholeFilePath(dest) },
  cpSync: cpSyncSpec,
  existsSync: existsSyncSpec,
  fchmodSync: simple(2),
  fchownSync: simple(3),
  fdatasyncSync: { arity: 1, direct: stdioFirst },
  fstatSync: simple(2),
  fsyncSync: { arity: 1, direct: stdioFirst },
  ftruncateSync: simple(2),
  futimesSync: simple(3),
  globSync: simple(2),
  lchmodSync: simple(2),
  lchownSync: simple(3),
  linkSync: simple(2),
  lstatSync: statSpec('lstatSync'),
  lutimesSync: simple(3),
  mkdirSync: mkdirSyncSpec,
  mkdtempSync: mkdtempSyncSpec,
  opendirSync: opendirSyncSpec,
  openSync: openSyncSpec,
  readdirSync: readdirSyncSpec,
  readFileSync: readFileSyncSpec,
  readlinkSync: simple(2),
  readSync: readSyncSpec,
  readvSync: readvSyncSpec,
  realpathSync: realpathSyncSpec,
  renameSync: simple(2),
  rmdirSync: simple(2),
  rmSync: simple(2),
  statfsSync: simple(2),
  statSync: statSpec('statSync'),
  symlinkSync: simple(3),
  truncateSync: simple(2),
  unlinkSync: simple(1),
  utimesSync: simple(3),
  writeFileSync: writeFileSyncSpec('writeFileSync'),
  writeSync: writeSyncSpec,
  writevSync: writevSyncSpec,
};

const coop: Record<string, AnyFn | undefined> = {};
for (const name of syncFunctionNames) {
  if (name === 'mkdtempDisposableSync') continue;
  coop[name] = makeCooperative(name, specs[name]!);
}

// realpathSync.native: the same, on realpath.native.
const coopRealpathNative = function native(this: unknown, ...args: Args): unknown {
  if (!inFiber() || hasFunction(args, 2)) return nativeRealpathSync.apply(this, args);
  return parkOnCallback('realpathSync.native', (cb) => nativeRealpath(...pad(args, 2), cb), first);
};
Object.defineProperty(coopRealpathNative, 'length', { value: nativeRealpathSync.length });
if (coop.realpathSync !== undefined) (coop.realpathSync as AnyFn & { native: AnyFn }).native = coopRealpathNative;

// mkdtempDisposableSync (Node 24): a cooperative mkdtemp, and the same disposable shape.
if (original.mkdtempDisposableSync !== undefined) {
  const orig = original.mkdtempDisposableSync;
  coop.mkdtempDisposableSync = {
    mkdtempDisposableSync(this: unknown, ...args: Args): unknown {
      if (!inFiber() || hasFunction(args, 2)) return orig.apply(this, args);
      const path = coop.mkdtempSync!(args[0], args[1]) as string;
      const fullPath = pathModule.resolve(process.cwd(), path);
      const remove = (): void => {
        coop.rmSync!(fullPath, { recursive: true, maxRetries: 0, retryDelay: 100 });
      };
      return {
        path,
        remove,
        [Symbol.dispose]() {
          remove();
        },
      };
    },
  }.mkdtempDisposableSync;
}

const declared = declareCooperative('fs', fs, coop, callbackTwins(fs));

/** The cooperative replacements, by node:fs name (only those this Node has). */
export const implementsSync = declared.implementsSync;

/** The declaration the patcher reads. */
export const cooperative: CooperativeModule = declared.cooperative;

/** node:fs's own sync function (captured when greenstack/fs was loaded). */
export function originalSync(name: string): AnyFn | undefined {
  return original[name];
}

const c = coop as Record<string, never>;
export const accessSync: typeof fs.accessSync = c.accessSync;
export const appendFileSync: typeof fs.appendFileSync = c.appendFileSync;
export const chmodSync: typeof fs.chmodSync = c.chmodSync;
export const chownSync: typeof fs.chownSync = c.chownSync;
export const closeSync: typeof fs.closeSync = c.closeSync;
export const copyFileSync: typeof fs.copyFileSync = c.copyFileSync;
export const cpSync: typeof fs.cpSync = c.cpSync;
export const existsSync: typeof fs.existsSync = c.existsSync;
export const fchmodSync: typeof fs.fchmodSync = c.fchmodSync;
export const fchownSync: typeof fs.fchownSync = c.fchownSync;
export const fdatasyncSync: typeof fs.fdatasyncSync = c.fdatasyncSync;
export const fstatSync: typeof fs.fstatSync = c.fstatSync;
export const fsyncSync: typeof fs.fsyncSync = c.fsyncSync;
export const ftruncateSync: typeof fs.ftruncateSync = c.ftruncateSync;
export const futimesSync: typeof fs.futimesSync = c.futimesSync;
export const lchmodSync: typeof fs.lchmodSync = c.lchmodSync;
export const lchownSync: typeof fs.lchownSync = c.lchownSync;
export const linkSync: typeof fs.linkSync = c.linkSync;
export const lstatSync: typeof fs.lstatSync = c.lstatSync;
export const lutimesSync: typeof fs.lutimesSync = c.lutimesSync;
export const mkdirSync: typeof fs.mkdirSync = c.mkdirSync;
export const mkdtempSync: typeof fs.mkdtempSync = c.mkdtempSync;
export const opendirSync: typeof fs.opendirSync = c.opendirSync;
export const openSync: typeof fs.openSync = c.openSync;
export const readdirSync: typeof fs.readdirSync = c.readdirSync;
export const readFileSync: typeof fs.readFileSync = c.readFileSync;
export const readlinkSync: typeof fs.readlinkSync = c.readlinkSync;
export const readSync: typeof fs.readSync = c.readSync;
export const readvSync: typeof fs.readvSync = c.readvSync;
export const realpathSync: typeof fs.realpathSync = c.realpathSync;
export const renameSync: typeof fs.renameSync = c.renameSync;
export const rmdirSync: typeof fs.rmdirSync = c.rmdirSync;
export const rmSync: typeof fs.rmSync = c.rmSync;
export const statfsSync: typeof fs.statfsSync = c.statfsSync;
export const statSync: typeof fs.statSync = c.statSync;
export const symlinkSync: typeof fs.symlinkSync = c.symlinkSync;
export const truncateSync: typeof fs.truncateSync = c.truncateSync;
export const unlinkSync: typeof fs.unlinkSync = c.unlinkSync;
export const utimesSync: typeof fs.utimesSync = c.utimesSync;
export const writeFileSync: typeof fs.writeFileSync = c.writeFileSync;
export const writeSync: typeof fs.writeSync = c.writeSync;
export const writevSync: typeof fs.writevSync = c.writevSync;
// Newer Nodes only (undefined where node:fs lacks them).
export const globSync: AnyFn | undefined = c.globSync;
export const mkdtempDisposableSync: AnyFn | undefined = c.mkdtempDisposableSync;

/** An fs-like object: node:fs's properties with the cooperative *Sync functions. */
export default declared.like;
