// stdlib.fs.test.ts: greenstack/fs: a differential test against node:fs, coverage of every *Sync, cooperation, and no fd leak on kill.
import * as asyncHooks from 'node:async_hooks';
import * as cp from 'node:child_process';
import fs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import test from 'ava';
import { sleep, spawn, Timeout, TimeoutError, withTimeout } from 'greenstack';
import gfs, * as green from 'greenstack/fs';
import { checkLeaks } from './helpers/leaks.js';
import { countSwitches } from './helpers/ticker.js';
import { fixturesDir } from './helpers/subprocess.js';
import { binding, hub, setInPlaceCalls } from '../dist/core/internal.js';

checkLeaks(test);

type Ctx = Record<string, unknown>;
interface Case {
  name: string;
  args: (T: string, ctx: Ctx) => unknown[];
  /** Keep the result in ctx under this key (an fd, a Dir) for later cases. */
  keep?: string;
  /** Does no IO (or is a shape left to node:fs on purpose): need not park. */
  inPlace?: true;
}

// One call per row, run in order on a fresh tree: once with node:fs outside any
// fiber, once with greenstack/fs inside a fiber. Mutating calls mutate both trees
// the same way, so later rows see the same state.
const B = (s: string) => Buffer.from(s);
const cases: Case[] = [
  // readFileSync
  { name: 'readFileSync', args: (T) => [`${T}/a.txt`] },
  { name: 'readFileSync', args: (T) => [`${T}/a.txt`, 'utf8'] },
  { name: 'readFileSync', args: (T) => [`${T}/a.txt`, { encoding: 'latin1' }] },
  { name: 'readFileSync', args: (T) => [`${T}/a.txt`, { encoding: 'base64', flag: 'r' }] },
  { name: 'readFileSync', args: (T) => [B(`${T}/a.txt`), 'hex'] },
  { name: 'readFileSync', args: (T) => [new URL(`file://${T}/a.txt`)] },
  { name: 'readFileSync', args: (T) => [`${T}/missing`] },
  { name: 'readFileSync', args: (T) => [`${T}/missing`, 'utf8'] },
  { name: 'readFileSync', args: (T) => [`${T}/dir`] },
  { name: 'readFileSync', args: (T) => [`${T}/dir`, 'utf8'] },
  { name: 'readFileSync', args: (T) => [`${T}/a.txt/x`] },
  { name: 'readFileSync', args: () => [42.5] },
  { name: 'readFileSync', args: () => [{}] },
  { name: 'readFileSync', args: () => ['a\0b'] },
  { name: 'readFileSync', args: (T) => [`${T}/a.txt`, { encoding: 'nope' }] },
  { name: 'readFileSync', args: (T) => [`${T}/a.txt`, 42] },
  { name: 'readFileSync', args: (T) => [`${T}/a.txt`, { flag: 'zz' }] },
  { name: 'readFileSync', args: (T) => [`${T}/empty`] },
  { name: 'readFileSync', args: (T) => [`${T}/a.txt`, { signal: new AbortController().signal }] },
  // The addon's whole-file read (fs.ts readWhole): invalid UTF-8, a file larger than a
  // read chunk, files whose size fstat gives as 0, a symlink, a symlink loop, 'buffer'.
  { name: 'readFileSync', args: (T) => [`${T}/bad.bin`] },
  { name: 'readFileSync', args: (T) => [`${T}/bad.bin`, 'utf8'] },
  { name: 'readFileSync', args: (T) => [`${T}/bad.bin`, { encoding: 'utf16le', flag: 'r' }] },
  { name: 'readFileSync', args: (T) => [`${T}/big.bin`, 'base64'] },
  { name: 'readFileSync', args: () => ['/proc/version', 'utf8'] },
  { name: 'readFileSync', args: () => ['/proc/self/cmdline'] },
  { name: 'readFileSync', args: (T) => [`${T}/link`, { encoding: null }] },
  { name: 'readFileSync', args: (T) => [`${T}/loop`] },
  { name: 'readFileSync', args: (T) => [`${T}/a.txt`, 'buffer'] },
  // writeFileSync / appendFileSync
  { name: 'writeFileSync', args: (T) => [`${T}/w1`, 'hello'] },
  { name: 'writeFileSync', args: (T) => [`${T}/w2`, B('bytes'), { mode: 0o600 }] },
  { name: 'writeFileSync', args: (T) => [`${T}/w3`, new Uint16Array([1, 2, 3])] },
  { name: 'writeFileSync', args: (T) => [`${T}/w4`, 'caf\u00e9', 'latin1'] },
  { name: 'writeFileSync', args: (T) => [`${T}/w1`, 'more', { flag: 'a' }] },
  { name: 'writeFileSync', args: (T) => [`${T}/w1`, 'x', { flag: 'wx' }] },
  { name: 'writeFileSync', args: (T) => [`${T}/nodir/x`, 'x'] },
  { name: 'writeFileSync', args: (T) => [`${T}/dir`, 'x'] },
  { name: 'writeFileSync', args: (T) => [`${T}/w5`, 123] },
  { name: 'writeFileSync', args: (T) => [`${T}/w5`, { toString: () => 'obj' }] },
  { name: 'writeFileSync', args: (T) => [`${T}/w5`, 'x', { flush: 'yes' }] },
  { name: 'writeFileSync', args: (T) => [`${T}/w5`, 'x', { mode: 'bad' }] },
  { name: 'writeFileSync', args: () => [null, 'x'] },
  { name: 'readFileSync', args: (T) => [`${T}/w1`, 'utf8'] },
  { name: 'readFileSync', args: (T) => [`${T}/w4`] },
  { name: 'appendFileSync', args: (T) => [`${T}/w1`, '+tail'] },
  { name: 'appendFileSync', args: (T) => [`${T}/w1`, B('+buf'), { encoding: 'utf8' }] },
  { name: 'appendFileSync', args: (T) => [`${T}/nodir/x`, 'x'] },
  { name: 'appendFileSync', args: (T) => [`${T}/w1`, 5] },
  { name: 'readFileSync', args: (T) => [`${T}/w1`, 'utf8'] },
  // stat family
  { name: 'statSync', args: (T) => [`${T}/a.txt`] },
  { name: 'statSync', args: (T) => [`${T}/a.txt`, { bigint: true }] },
  { name: 'statSync', args: (T) => [`${T}/dir`] },
  { name: 'statSync', args: (T) => [`${T}/missing`] },
  { name: 'statSync', args: (T) => [`${T}/missing`, { throwIfNoEntry: false }] },
  { name: 'statSync', args: (T) => [`${T}/a.txt/x`, { throwIfNoEntry: false }] },
  { name: 'statSync', args: (T) => [`${T}/missing`, { throwIfNoEntry: 0 }] },
  { name: 'statSync', args: () => [7] },
  { name: 'statSync', args: (T) => [`${T}/link`] },
  { name: 'lstatSync', args: (T) => [`${T}/link`] },
  { name: 'lstatSync', args: (T) => [`${T}/missing`, { throwIfNoEntry: false }] },
  { name: 'lstatSync', args: (T) => [`${T}/missing`] },
  { name: 'lstatSync', args: () => [undefined] },
  { name: 'statfsSync', args: (T) => [T] },
  { name: 'statfsSync', args: (T) => [T, { bigint: true }] },
  { name: 'statfsSync', args: (T) => [`${T}/missing`] },
  // existsSync / accessSync
  { name: 'existsSync', args: (T) => [`${T}/a.txt`] },
  { name: 'existsSync', args: (T) => [`${T}/missing`] },
  { name: 'existsSync', args: () => [42], inPlace: true },
  { name: 'existsSync', args: () => ['a\0b'], inPlace: true },
  { name: 'existsSync', args: () => [], inPlace: true },
  { name: 'existsSync', args: (T) => [new URL(`file://${T}/dir`)] },
  { name: 'accessSync', args: (T) => [`${T}/a.txt`] },
  { name: 'accessSync', args: (T) => [`${T}/a.txt`, fs.constants.R_OK | fs.constants.W_OK] },
  { name: 'accessSync', args: (T) => [`${T}/a.txt`, fs.constants.X_OK] },
  { name: 'accessSync', args: (T) => [`${T}/missing`] },
  { name: 'accessSync', args: (T) => [`${T}/a.txt`, 'x'] },
  { name: 'accessSync', args: (T) => [`${T}/a.txt`, 99] },
  { name: 'accessSync', args: () => [true] },
  // directories
  { name: 'readdirSync', args: (T) => [T] },
  { name: 'readdirSync', args: (T) => [`${T}/dir`, { withFileTypes: true }] },
  { name: 'readdirSync', args: (T) => [`${T}/dir`, 'buffer'] },
  { name: 'readdirSync', args: (T) => [`${T}/dir`, { encoding: 'hex' }] },
  { name: 'readdirSync', args: (T) => [T, { recursive: true }] },
  { name: 'readdirSync', args: (T) => [T, { recursive: true, withFileTypes: true }] },
  { name: 'readdirSync', args: (T) => [`${T}/dir`, { recursive: true, encoding: 'buffer' }] },
  { name: 'readdirSync', args: (T) => [T, { recursive: 'yes' }] },
  { name: 'readdirSync', args: (T) => [`${T}/missing`] },
  { name: 'readdirSync', args: (T) => [`${T}/missing`, { recursive: true }] },
  { name: 'readdirSync', args: (T) => [`${T}/a.txt`] },
  { name: 'readdirSync', args: () => [{}] },
  { name: 'mkdirSync', args: (T) => [`${T}/m1`] },
  { name: 'mkdirSync', args: (T) => [`${T}/m1`] },
  { name: 'mkdirSync', args: (T) => [`${T}/m2/a/b`, { recursive: true }] },
  { name: 'mkdirSync', args: (T) => [`${T}/m2/a/b`, { recursive: true }] },
  { name: 'mkdirSync', args: (T) => [`${T}/m3`, 0o700] },
  { name: 'mkdirSync', args: (T) => [`${T}/m4`, { recursive: 'yes' }] },
  { name: 'mkdirSync', args: (T) => [`${T}/m4`, { mode: 'rwx' }] },
  { name: 'mkdirSync', args: (T) => [`${T}/nodir/x/y`] },
  { name: 'mkdirSync', args: (T) => [`${T}/a.txt/x`, { recursive: true }] },
  { name: 'mkdtempSync', args: (T) => [`${T}/tmp-`] },
  { name: 'mkdtempSync', args: (T) => [`${T}/nodir/tmp-`] },
  { name: 'mkdtempSync', args: (T) => [`${T}/tmp-`, { encoding: 'buffer' }] },
  { name: 'mkdtempSync', args: () => [5] },
  { name: 'rmdirSync', args: (T) => [`${T}/m1`] },
  { name: 'rmdirSync', args: (T) => [`${T}/m1`] },
  { name: 'rmdirSync', args: (T) => [`${T}/m2`] },
  { name: 'rmdirSync', args: (T) => [`${T}/m2`, { maxRetries: -1 }] },
  { name: 'rmSync', args: (T) => [`${T}/m2`] },
  { name: 'rmSync', args: (T) => [`${T}/m2`, { recursive: true }] },
  { name: 'rmSync', args: (T) => [`${T}/m2`, { recursive: true }] },
  { name: 'rmSync', args: (T) => [`${T}/m2`, { force: true }] },
  { name: 'rmSync', args: (T) => [`${T}/m3`, { force: 'yes' }] },
  { name: 'rmSync', args: (T) => [`${T}/w3`] },
  { name: 'rmSync', args: () => [3] },
  { name: 'opendirSync', args: (T) => [`${T}/dir`], keep: 'dir' },
  { name: 'opendirSync', args: (T) => [`${T}/missing`] },
  { name: 'opendirSync', args: (T) => [`${T}/a.txt`] },
  // (opendirSync with a bad bufferSize is left out: node:fs itself leaks the handle it opened.)
  { name: 'opendirSync', args: () => [[]] },
  // links, rename, copy
  { name: 'readlinkSync', args: (T) => [`${T}/link`] },
  { name: 'readlinkSync', args: (T) => [`${T}/link`, 'buffer'] },
  { name: 'readlinkSync', args: (T) => [`${T}/a.txt`] },
  { name: 'readlinkSync', args: (T) => [`${T}/missing`] },
  { name: 'symlinkSync', args: () => ['a.txt', 'SELF'] },
  { name: 'symlinkSync', args: (T) => ['a.txt', `${T}/link2`] },
  { name: 'symlinkSync', args: (T) => ['a.txt', `${T}/link2`] },
  { name: 'symlinkSync', args: (T) => ['dir', `${T}/link3`, 'dir'] },
  { name: 'symlinkSync', args: (T) => [5, `${T}/link4`] },
  { name: 'realpathSync', args: (T) => [`${T}/link2`] },
  { name: 'realpathSync', args: (T) => [`${T}/dir/../link`, 'buffer'] },
  { name: 'realpathSync', args: (T) => [`${T}/missing/x`] },
  { name: 'realpathSync', args: (T) => [`${T}/loop`] },
  { name: 'realpathSync', args: () => [{}] },
  { name: 'linkSync', args: (T) => [`${T}/a.txt`, `${T}/hard`] },
  { name: 'linkSync', args: (T) => [`${T}/a.txt`, `${T}/hard`] },
  { name: 'linkSync', args: (T) => [`${T}/missing`, `${T}/hard2`] },
  { name: 'linkSync', args: (T) => [`${T}/a.txt`, 9] },
  { name: 'renameSync', args: (T) => [`${T}/hard`, `${T}/hard-renamed`] },
  { name: 'renameSync', args: (T) => [`${T}/hard`, `${T}/x`] },
  { name: 'renameSync', args: (T) => [`${T}/dir`, `${T}/a.txt`] },
  { name: 'renameSync', args: (T) => [null, `${T}/x`] },
  { name: 'copyFileSync', args: (T) => [`${T}/a.txt`, `${T}/copy`] },
  { name: 'copyFileSync', args: (T) => [`${T}/a.txt`, `${T}/copy`, fs.constants.COPYFILE_EXCL] },
  { name: 'copyFileSync', args: (T) => [`${T}/missing`, `${T}/copy2`] },
  { name: 'copyFileSync', args: (T) => [`${T}/a.txt`, `${T}/copy3`, 'x'] },
  { name: 'copyFileSync', args: (T) => [`${T}/a.txt`, `${T}/copy3`, 1 << 10] },
  { name: 'cpSync', args: (T) => [`${T}/dir`, `${T}/dircopy`, { recursive: true }] },
  { name: 'cpSync', args: (T) => [`${T}/dir`, `${T}/dircopy2`] },
  { name: 'cpSync', args: (T) => [`${T}/dir`, `${T}/dir/sub`, { recursive: true }] },
  { name: 'cpSync', args: (T) => [`${T}/a.txt`, `${T}/dircopy`] },
  { name: 'cpSync', args: (T) => [`${T}/missing`, `${T}/x`] },
  { name: 'cpSync', args: (T) => [`${T}/a.txt`, `${T}/cpfile`, { errorOnExist: true, force: false }] },
  { name: 'cpSync', args: (T) => [`${T}/a.txt`, `${T}/cpfile`, { errorOnExist: true, force: false }] },
  { name: 'cpSync', args: (T) => [`${T}/a.txt`, `${T}/x`, { recursive: 1 }] },
  { name: 'readdirSync', args: (T) => [`${T}/dircopy`, { recursive: true }] },
  { name: 'unlinkSync', args: (T) => [`${T}/copy`] },
  { name: 'unlinkSync', args: (T) => [`${T}/copy`] },
  { name: 'unlinkSync', args: (T) => [`${T}/dir`] },
  { name: 'unlinkSync', args: () => [[1]] },
  // metadata
  { name: 'chmodSync', args: (T) => [`${T}/w2`, 0o640] },
  { name: 'chmodSync', args: (T) => [`${T}/w2`, '755'] },
  { name: 'chmodSync', args: (T) => [`${T}/missing`, 0o640] },
  { name: 'chmodSync', args: (T) => [`${T}/w2`, 'rwx'] },
  { name: 'statSync', args: (T) => [`${T}/w2`] },
  { name: 'chownSync', args: (T) => [`${T}/w2`, process.getuid!(), process.getgid!()] },
  { name: 'chownSync', args: (T) => [`${T}/missing`, 0, 0] },
  { name: 'chownSync', args: (T) => [`${T}/w2`, -5, 0] },
  { name: 'lchownSync', args: (T) => [`${T}/link`, process.getuid!(), process.getgid!()] },
  { name: 'lchownSync', args: (T) => [`${T}/w2`, 'a', 0] },
  { name: 'utimesSync', args: (T) => [`${T}/w2`, 1000, new Date(2000000)] },
  { name: 'utimesSync', args: (T) => [`${T}/missing`, 1, 1] },
  { name: 'utimesSync', args: (T) => [`${T}/w2`, 'x', 1] },
  { name: 'lutimesSync', args: (T) => [`${T}/link`, 5, 6] },
  { name: 'lutimesSync', args: (T) => [`${T}/missing`, 5, 6] },
  { name: 'statSync', args: (T) => [`${T}/w2`] },
  { name: 'truncateSync', args: (T) => [`${T}/w2`, 2] },
  { name: 'truncateSync', args: (T) => [`${T}/w2`] },
  { name: 'truncateSync', args: (T) => [`${T}/missing`, 1] },
  { name: 'truncateSync', args: (T) => [`${T}/w2`, 'x'] },
  { name: 'truncateSync', args: (T) => [`${T}/dir`] },
  // fds
  { name: 'openSync', args: (T) => [`${T}/fdfile`, 'w+'], keep: 'fd' },
  { name: 'openSync', args: (T) => [`${T}/missing`] },
  { name: 'openSync', args: (T) => [`${T}/a.txt`, 'nope'] },
  { name: 'openSync', args: (T) => [`${T}/a.txt`, 'r', 'bad'] },
  { name: 'openSync', args: (T) => [`${T}/a.txt`, 'wx'] },
  { name: 'openSync', args: () => [undefined] },
  { name: 'writeSync', args: (T, c) => [c.fd, B('0123456789')] },
  { name: 'writeSync', args: (T, c) => [c.fd, B('abcdef'), 1, 3] },
  { name: 'writeSync', args: (T, c) => [c.fd, B('XY'), 0, 2, 0] },
  { name: 'writeSync', args: (T, c) => [c.fd, B('Q'), { offset: 0, length: 1, position: 5 }] },
  { name: 'writeSync', args: (T, c) => [c.fd, 'str', 20] },
  { name: 'writeSync', args: (T, c) => [c.fd, 'caf\u00e9', null, 'latin1'] },
  { name: 'writeSync', args: (T, c) => [c.fd, 'tail'] },
  { name: 'writeSync', args: (T, c) => [c.fd, B('abc'), 5] },
  { name: 'writeSync', args: (T, c) => [c.fd, B('abc'), 0, 10] },
  { name: 'writeSync', args: (T, c) => [c.fd, B('abc'), -1] },
  { name: 'writeSync', args: (T, c) => [c.fd, 42] },
  { name: 'writeSync', args: (T, c) => [c.fd, 'x', 0, 'nope-enc'] },
  { name: 'writeSync', args: () => ['fd', B('x')] },
  { name: 'writeSync', args: () => [99999, B('x')] },
  { name: 'writevSync', args: (T, c) => [c.fd, [B('v1'), B('v2')], 40] },
  { name: 'writevSync', args: (T, c) => [c.fd, []], inPlace: true },
  { name: 'writevSync', args: (T, c) => [c.fd, ['str']] },
  { name: 'writevSync', args: () => [99999, [B('x')]] },
  { name: 'fsyncSync', args: (T, c) => [c.fd] },
  { name: 'fdatasyncSync', args: (T, c) => [c.fd] },
  { name: 'fsyncSync', args: () => [99999] },
  { name: 'fdatasyncSync', args: () => ['x'] },
  { name: 'fstatSync', args: (T, c) => [c.fd] },
  { name: 'fstatSync', args: (T, c) => [c.fd, { bigint: true }] },
  { name: 'fstatSync', args: () => [99999] },
  { name: 'fstatSync', args: () => [-1] },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8), 0, 8, 0] },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8), 2, 4, 1] },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8), { position: 3 }] },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8), { offset: 1, length: 2, position: 0 }] },
  { name: 'readSync', args: (T, c) => [c.fd, new Uint32Array(4), 0, 16, 0] },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8)] },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8), 0, 0, 0], inPlace: true },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8), 0, 9, 0] },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8), -1, 1, 0] },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8), 0, 1, -5] },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8), 0, 8, 1n], inPlace: true },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(0), 0, 1, 0] },
  { name: 'readSync', args: (T, c) => [c.fd, 'not a buffer', 0, 1, 0] },
  { name: 'readSync', args: (T, c) => [c.fd, Buffer.alloc(8), 'opts'] },
  { name: 'readSync', args: () => [99999, Buffer.alloc(8), 0, 8, 0] },
  { name: 'readSync', args: () => [1.5, Buffer.alloc(8), 0, 8, 0] },
  { name: 'readvSync', args: (T, c) => [c.fd, [Buffer.alloc(3), Buffer.alloc(5)], 0] },
  { name: 'readvSync', args: (T, c) => [c.fd, [Buffer.alloc(3)], 'x'] },
  { name: 'readvSync', args: (T, c) => [c.fd, [1]] },
  { name: 'ftruncateSync', args: (T, c) => [c.fd, 4] },
  { name: 'ftruncateSync', args: (T, c) => [c.fd, 'x'] },
  { name: 'ftruncateSync', args: () => [99999] },
  { name: 'futimesSync', args: (T, c) => [c.fd, 10, 20] },
  { name: 'futimesSync', args: (T, c) => [c.fd, {}, 20] },
  { name: 'fchmodSync', args: (T, c) => [c.fd, 0o600] },
  { name: 'fchmodSync', args: (T, c) => [c.fd, -1] },
  { name: 'fchownSync', args: (T, c) => [c.fd, process.getuid!(), process.getgid!()] },
  { name: 'fchownSync', args: (T, c) => [c.fd, 1.5, 0] },
  { name: 'fstatSync', args: (T, c) => [c.fd] },
  { name: 'readFileSync', args: (T) => [`${T}/fdfile`, 'latin1'] },
  { name: 'closeSync', args: (T, c) => [c.fd] },
  { name: 'closeSync', args: (T, c) => [c.fd] },
  { name: 'closeSync', args: () => ['x'] },
  { name: 'closeSync', args: () => [] },
  // Bad fds, negative and huge numbers (readFileSync(-1) once threw on the hub, and
  // readFileSync(closed fd) a TypeError about a "list" argument).
  { name: 'readFileSync', args: () => [-1] },
  { name: 'readFileSync', args: () => [123456789] },
  { name: 'readFileSync', args: () => [2 ** 31 - 1, 'utf8'] },
  { name: 'readFileSync', args: () => [2 ** 31] },
  { name: 'readFileSync', args: () => [2 ** 53] },
  { name: 'readFileSync', args: () => [NaN] },
  { name: 'readFileSync', args: () => [99999, 'nope-enc'] },
  { name: 'readFileSync', args: () => [99999, 5] },
  { name: 'writeFileSync', args: () => [-1, 'x'], inPlace: true },
  { name: 'writeFileSync', args: () => [123456789, 'x'] },
  { name: 'appendFileSync', args: () => [123456789, 'x'] },
  { name: 'fstatSync', args: () => [2 ** 31] },
  { name: 'fstatSync', args: () => [Infinity] },
  { name: 'closeSync', args: () => [-1] },
  { name: 'closeSync', args: () => [123456789] },
  { name: 'readSync', args: () => [123456789, Buffer.alloc(4), 0, 4, 2 ** 53] },
  { name: 'writeSync', args: () => [-1, 'x'] },
  { name: 'ftruncateSync', args: () => [123456789, -1] },
  { name: 'openSync', args: (T) => [`${T}/a.txt`, 'nope', -1] },
  { name: 'openSync', args: (T) => [`${T}/a.txt`, 'r', 2 ** 32] },
  // truncateSync opens the file before it checks len; truncate checks len first. Where
  // the callback twin rejects arguments the sync function accepts or checks later
  // (inPlace), node's sync function runs itself.
  { name: 'truncateSync', args: (T) => [`${T}/missing`, 'x'], inPlace: true },
  { name: 'truncateSync', args: (T) => [`${T}/missing`, 2 ** 53], inPlace: true },
  { name: 'chmodSync', args: (T) => [`${T}/missing`, 2 ** 32] },
  { name: 'mkdirSync', args: (T) => [`${T}/mk-huge`, { mode: -1 }] },
];

function makeTree(): string {
  const T = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-diff-'));
  fs.writeFileSync(`${T}/a.txt`, 'alpha\nbeta\n');
  fs.writeFileSync(`${T}/empty`, '');
  fs.writeFileSync(`${T}/bad.bin`, Buffer.from([0x61, 0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0x62, 0xf0, 0x9f, 0x98]));
  fs.writeFileSync(`${T}/big.bin`, Buffer.alloc(200_000, 'xyz\u00e9'));
  fs.mkdirSync(`${T}/dir/sub/deeper`, { recursive: true });
  fs.writeFileSync(`${T}/dir/one`, '1');
  fs.writeFileSync(`${T}/dir/sub/two`, '22');
  fs.writeFileSync(`${T}/dir/sub/deeper/three`, '333');
  fs.symlinkSync('a.txt', `${T}/link`);
  fs.symlinkSync('sub', `${T}/dir/sublink`);
  fs.symlinkSync('loop', `${T}/loop`);
  return T;
}

// A comparable, JSON-safe picture of a result or an error, with the tree's root as <T>.
function picture(v: unknown, T: string): unknown {
  const norm = (s: string) => s.split(T).join('<T>').replace(/tmp-[A-Za-z0-9]{6}/g, 'tmp-RANDOM');
  if (typeof v === 'string') return norm(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v)) return { buffer: norm(v.toString('latin1')) };
  if (ArrayBuffer.isView(v)) return { view: v.constructor.name, bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (Array.isArray(v)) return v.map((x) => picture(x, T));
  if (v instanceof fs.Stats || (typeof v === 'object' && v !== null && v.constructor?.name === 'BigIntStats')) {
    const s = v as fs.Stats;
    return {
      class: s.constructor.name,
      mode: String(s.mode),
      size: String(s.size),
      nlink: String(s.nlink),
      uid: String(s.uid),
      types: [s.isFile(), s.isDirectory(), s.isSymbolicLink()],
      // Times set by utimes are compared; creation times of the two trees are not.
      mtimeMs: Number(s.mtimeMs) < 1e11 ? String(s.mtimeMs) : 'recent',
      keys: Object.keys(s),
    };
  }
  if (v instanceof fs.Dirent) {
    return { dirent: norm(v.name), parentPath: norm(String((v as { parentPath?: string }).parentPath)), dir: v.isDirectory(), file: v.isFile(), link: v.isSymbolicLink() };
  }
  if (v instanceof fs.Dir) return { dir: norm(v.path) };
  if (typeof v === 'object' && v !== null && v.constructor?.name === 'StatFs') return { statfs: Object.keys(v), type: typeof (v as { bsize: unknown }).bsize };
  if (v instanceof Error) {
    const e = v as NodeJS.ErrnoException & { dest?: string };
    return {
      error: e.constructor.name,
      name: e.name,
      message: norm(e.message),
      code: e.code,
      errno: e.errno,
      syscall: e.syscall,
      path: e.path === undefined ? undefined : norm(String(e.path)),
      dest: e.dest === undefined ? undefined : norm(String(e.dest)),
      keys: Object.keys(e),
      head: norm(String(e.stack).split('\n')[0]!),
    };
  }
  return v;
}

interface Outcome {
  threw: boolean;
  value: unknown;
}

function runAll(impl: Record<string, unknown>, T: string, sink: unknown[], parked?: boolean[]): Outcome[] {
  const ctx: Ctx = {};
  const out: Outcome[] = [];
  for (const c of cases) {
    let args = c.args(T, ctx);
    if (c.name === 'symlinkSync' && args[1] === 'SELF') args = [args[0], `${T}/self-${out.length}`];
    // A call that parks lets the event loop run: this immediate then runs before it returns.
    const turn = { ran: false };
    if (parked !== undefined) setImmediate(() => (turn.ran = true));
    try {
      const value = (impl[c.name] as (...a: unknown[]) => unknown)(...args);
      parked?.push(turn.ran);
      if (c.keep) ctx[c.keep] = value;
      if (value instanceof fs.Dir) sink.push(value);
      // fd numbers depend on what else is open: compare that one was returned.
      out.push({ threw: false, value: c.keep === 'fd' ? typeof value : picture(value, T) });
    } catch (err) {
      parked?.push(turn.ran);
      out.push({ threw: true, value: picture(err, T) });
    }
  }
  return out;
}

// Twice: with quick calls run in place (the default), and with every call handed to
// the threadpool, where each call that does IO must park the fiber.
for (const inPlace of [false, true]) {
test.serial(`differential: every call gives node:fs results and errors, inside a fiber${inPlace ? ' (quick calls in place)' : ''}`, async (t) => {
  setInPlaceCalls(inPlace);
  t.teardown(() => setInPlaceCalls(true));
  const A = makeTree();
  const G = makeTree();
  const dirs: unknown[] = [];
  try {
    const expected = runAll(fs as unknown as Record<string, unknown>, A, dirs);
    const parked: boolean[] = [];
    const actual = await spawn(() => runAll(green as unknown as Record<string, unknown>, G, dirs, parked));
    t.is(actual.length, cases.length);
    let mismatches = 0;
    for (let i = 0; i < cases.length; i++) {
      const label = `#${i} ${cases[i]!.name}(${cases[i]!.args.toString().replace(/^\([^)]*\)\s*=>\s*/, '')})`;
      if (JSON.stringify(actual[i]) !== JSON.stringify(expected[i])) {
        mismatches++;
        t.deepEqual(actual[i], expected[i], label);
      }
    }
    t.is(mismatches, 0);
    // Every call that did IO (it returned, or failed with a system error) parked the
    // fiber instead of blocking the process.
    const blocked = cases
      .map((c, i) => ({ c, i, did: !expected[i]!.threw || typeof (expected[i]!.value as { syscall?: unknown }).syscall === 'string' }))
      .filter(({ c, i, did }) => did && !parked[i] && c.inPlace !== true && !inPlace)
      .map(({ c, i }) => `#${i} ${c.name}(${c.args.toString().replace(/^\([^)]*\)\s*=>\s*/, '')})`);
    t.deepEqual(blocked, []);
    const errors = expected.filter((o) => o.threw).length;
    t.true(errors > 80 && cases.length - errors > 80, `a large mix of failing (${errors}) and succeeding calls`);
  } finally {
    for (const d of dirs) (d as fs.Dir).closeSync();
    fs.rmSync(A, { recursive: true, force: true });
    fs.rmSync(G, { recursive: true, force: true });
  }
});
}

test.serial('differential with hostile arguments: every *Sync, bad fds, huge and negative numbers, every argument shape', (t) => {
  // In a child process whose cwd is a scratch directory: some shapes create files
  // relative to the cwd, and a regression could hang or throw on the hub.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-hostile-'));
  try {
    const r = cp.spawnSync(process.execPath, [path.join(fixturesDir, 'fs-hostile.js')], {
      cwd,
      encoding: 'utf8',
      timeout: 100_000,
      env: { ...process.env, GREENSTACK_IN_PLACE: '0' }, // it checks that calls park
    });
    t.is(r.status, 0, r.stderr);
    const { calls, functions, mismatches } = JSON.parse(r.stdout) as { calls: number; functions: number; mismatches: string[] };
    t.deepEqual(mismatches, []);
    t.true(functions >= 40 && calls > 4000, `${calls} calls of ${functions} functions`);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

test.serial('the declared list covers every *Sync function of node:fs', (t) => {
  const declared = new Set<string>(green.syncFunctionNames);
  const missing = green.nodeSyncFunctionNames.filter((n) => !declared.has(n));
  t.deepEqual(missing, []);
  t.true(green.nodeSyncFunctionNames.length >= 40);
  for (const name of green.nodeSyncFunctionNames) {
    const f = green.implementsSync[name];
    t.is(typeof f, 'function', name);
    t.not(f, (fs as unknown as Record<string, unknown>)[name], `${name} is greenstack's`);
    t.is((green as unknown as Record<string, unknown>)[name], f, `${name} is exported`);
    t.is((gfs as unknown as Record<string, unknown>)[name], f, `${name} is on the default export`);
  }
  t.is(green.cooperative.module, 'fs');
  t.is(green.cooperative.implements, green.implementsSync);
});

test.serial('everything node:fs exports is exported, non-sync members unchanged', (t) => {
  for (const key of Object.keys(fs)) {
    t.true(key in green, key);
    t.true(key in gfs, `${key} on default`);
    if (!key.endsWith('Sync')) {
      t.is((green as unknown as Record<string, unknown>)[key], (fs as unknown as Record<string, unknown>)[key], key);
    }
  }
  t.is(green.promises, fs.promises);
  t.is(green.constants, fs.constants);
  t.is(green.Stats, fs.Stats);
  t.is(typeof green.realpathSync.native, 'function');
});

test.serial('outside a fiber each function is node:fs behaviour, on the hub', (t) => {
  t.is(green.readFileSync(__filename, 'utf8'), fs.readFileSync(__filename, 'utf8'));
  t.true(green.existsSync(__dirname));
  const err = t.throws(() => green.statSync('/definitely/missing'));
  t.is((err as NodeJS.ErrnoException).code, 'ENOENT');
  // A sync error thrown on the hub carries node:fs's own frames.
  t.regex(String(err!.stack), /node:fs/);
});

test.serial('an error from inside a fiber has the caller in its stack', async (t) => {
  function callerFrame(): unknown {
    try {
      green.readFileSync('/definitely/missing');
    } catch (e) {
      return e;
    }
    return undefined;
  }
  const err = (await spawn(callerFrame)) as Error;
  t.regex(String(err.stack), /^Error: ENOENT: no such file or directory, open '\/definitely\/missing'\n/);
  t.regex(String(err.stack), /callerFrame/);
});

test.serial('realpathSync.native and existsSync match node:fs in a fiber', async (t) => {
  const got = await spawn(() => {
    const out: unknown[] = [green.realpathSync.native('/proc/self/..'), green.existsSync('/proc/self')];
    try {
      green.realpathSync.native('/nope/nope');
    } catch (e) {
      out.push((e as Error).message);
    }
    return out;
  });
  let nativeErr: string | undefined;
  try {
    fs.realpathSync.native('/nope/nope');
  } catch (e) {
    nativeErr = (e as Error).message;
  }
  t.deepEqual(got, [fs.realpathSync.native('/proc/self/..'), true, nativeErr]);
});

test.serial('a fiber blocked in fs does not block other fibers', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-fifo-'));
  const fifo = path.join(dir, 'fifo');
  cp.execFileSync('mkfifo', [fifo]);
  try {
    let ticks = 0;
    const reader = spawn(() => {
      const fd = green.openSync(fifo, 'r'); // blocks until a writer opens the FIFO
      try {
        const buf = Buffer.alloc(16);
        const n = green.readSync(fd, buf, 0, 16, null);
        return buf.toString('utf8', 0, n);
      } finally {
        green.closeSync(fd);
      }
    });
    const ticker = spawn(() => {
      for (let i = 0; i < 5; i++) {
        sleep(5);
        ticks++;
      }
      // Now let the reader through.
      const fd = green.openSync(fifo, 'w');
      green.writeSync(fd, 'through');
      green.closeSync(fd);
    });
    t.is(await reader, 'through');
    await ticker;
    t.is(ticks, 5);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

function openAsync(file: string, flags: string): Promise<number> {
  return new Promise<number>((resolve, reject) => fs.open(file, flags, (e, fd) => (e ? reject(e) : resolve(fd))));
}

async function settle(ms = 50): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once every libuv threadpool thread is free at the same time (none is
 * stuck in a FIFO open): one blocking FIFO open per thread, each released by a
 * non-blocking open of its write end, which succeeds only while its reader is
 * already blocked in open().
 */
async function threadpoolFree(): Promise<void> {
  const size = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-pool-'));
  try {
    const fifos = Array.from({ length: size }, (_, i) => path.join(dir, `p${i}`));
    for (const p of fifos) cp.execFileSync('mkfifo', [p]);
    const readers = fifos.map((p) => openAsync(p, 'r'));
    const writers: number[] = [];
    for (const p of fifos) {
      for (;;) {
        try {
          writers.push(fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
          await settle(5); // its reader has no thread yet
        }
      }
    }
    for (const fd of await Promise.all(readers)) fs.closeSync(fd);
    for (const fd of writers) fs.closeSync(fd);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test.serial('a fiber timed out in openSync leaks no fd: the late open is closed', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-fifo-'));
  const fifo = path.join(dir, 'fifo');
  cp.execFileSync('mkfifo', [fifo]);
  try {
    const before = openFds();
    const f = spawn(() => withTimeout(50, () => green.openSync(fifo, 'r')));
    const err = await t.throwsAsync(async () => f);
    t.true(err instanceof TimeoutError);
    // greenstack opens the other end to release the pending open; its fd is closed.
    await threadpoolFree();
    for (let i = 0; i < 100 && openFds() > before; i++) await settle(20);
    t.is(openFds(), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('a fiber killed in readFileSync/readSync leaks nothing and late data is dropped', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-fifo-'));
  const fifo = path.join(dir, 'fifo');
  cp.execFileSync('mkfifo', [fifo]);
  try {
    const before = openFds();
    // readFileSync: killed while readFile's open waits for a writer.
    let calling = false;
    const f = spawn(() => {
      calling = true;
      return green.readFileSync(fifo);
    });
    while (!calling) await settle(5);
    await settle(20);
    f.kill();
    await f;
    t.true(f.dead);
    // readFile's pending open was released (greenstack opened the write end); nothing stays open.
    await threadpoolFree();
    for (let i = 0; i < 100 && openFds() > before; i++) await settle(20);
    t.is(openFds(), before);

    // readSync: the caller's buffer never receives the late bytes.
    const [rfd, wfd] = await Promise.all([openAsync(fifo, 'r'), openAsync(fifo, 'w')]);
    const buf = Buffer.alloc(8, '.');
    const g = spawn(() => {
      using _t = Timeout.startNew(30);
      return green.readSync(rfd, buf, 0, 8, null);
    });
    await t.throwsAsync(async () => g, { instanceOf: TimeoutError });
    fs.writeSync(wfd, 'LATEDATA');
    fs.closeSync(wfd);
    await settle(30);
    t.is(buf.toString(), '........');
    // The late read did take the bytes (they were dropped): the FIFO is at EOF.
    t.is(fs.readSync(rfd, Buffer.alloc(8), 0, 8, null), 0);
    fs.closeSync(rfd);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('opendirSync and the Dir it returns work in a fiber: readSync/closeSync park only the fiber', async (t) => {
  const names = await spawn(() => {
    const d = green.opendirSync(__dirname, { bufferSize: 2 });
    t.true(Object.hasOwn(d, 'readSync') && !Object.keys(d).includes('readSync'), 'own, non-enumerable');
    t.not(d.readSync, fs.Dir.prototype.readSync);
    const out: string[] = [];
    for (let e = d.readSync(); e !== null; e = d.readSync()) out.push(e.name);
    d.closeSync();
    t.throws(() => d.readSync(), { code: 'ERR_DIR_CLOSED' });
    t.throws(() => d.closeSync(), { code: 'ERR_DIR_CLOSED' });
    return out.sort();
  });
  t.deepEqual(names, fs.readdirSync(__dirname).sort());
  // The same Dir methods on the hub are node's (a Dir made outside a fiber, used in one, too).
  const d = green.opendirSync(__dirname);
  t.truthy(d.readSync());
  const rest = await spawn(() => {
    let n = 0;
    while (d.readSync() !== null) n++;
    d.closeSync();
    return n;
  });
  t.is(rest + 1, fs.readdirSync(__dirname).length);
});

test.serial('quick calls run in place (no switch); whole-file calls on a FIFO still park and let other fibers run', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-inplace-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f.txt');
  fs.writeFileSync(file, 'content');
  const fifo = path.join(dir, 'fifo');
  cp.execFileSync('mkfifo', [fifo]);
  // However slow this machine's disk is right now, nothing goes back to the threadpool.
  setInPlaceCalls(true, Infinity);
  t.teardown(() => setInPlaceCalls(true));
  const quick = await spawn(() => {
    const s = countSwitches();
    try {
      for (let i = 0; i < 50; i++) {
        green.statSync(file);
        green.existsSync(file);
        green.readFileSync(file, 'utf8');
        green.writeFileSync(path.join(dir, 'w.txt'), 'x');
      }
      return s.count();
    } finally {
      s.restore();
    }
  });
  t.is(quick, 0, 'quick calls on regular files did not switch');
  // The FIFO's writer is another fiber: the reader must park, or this never ends.
  const reader = spawn(() => green.readFileSync(fifo, 'utf8'));
  const writer = spawn(() => green.writeFileSync(fifo, 'through the fifo'));
  t.is(await reader, 'through the fifo');
  await writer;
});

// Opening a FIFO, even only to look at what it is, lets a writer blocked in its own
// open() go on: the look's close then leaves it writing to no reader (SIGPIPE, or
// EPIPE), and the real reader's open waits for a writer that is gone.
test.serial('readFileSync never opens a FIFO to look at it: a writer process already blocked in open() meets the real reader', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-fifo-'));
  const fifo = path.join(dir, 'fifo');
  cp.execFileSync('mkfifo', [fifo]);
  const writer = cp.spawn('sh', ['-c', `printf 'through a shell' > '${fifo}'`], { stdio: 'ignore' });
  const exited = new Promise<string>((resolve) => writer.on('exit', (code, signal) => resolve(`${code} ${signal}`)));
  t.teardown(() => {
    writer.kill('SIGKILL');
    // Should the reader still wait in open() on libuv, give it a writer that leaves.
    try {
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await new Promise((resolve) => setTimeout(resolve, 200)); // the shell's open() now waits for a reader
  const reader = spawn(() => green.readFileSync(fifo, 'utf8'));
  const outcome = await Promise.race([
    reader.then(String, (err: unknown) => `failed: ${(err as Error).message}`),
    new Promise((resolve) => setTimeout(() => resolve('timed out'), 10_000)),
  ]);
  t.is(outcome, 'through a shell');
  t.is(await exited, '0 null');
});

// The slice once ended with that call going through the threadpool: for a fiber alone
// (a script under the CLI), a round trip every 10 ms that nothing else could use.
test.serial('a slice of calls in place ends in a yield to the hub, not in a threadpool request', async (t) => {
  setInPlaceCalls(true, Infinity, 0); // every call after a slice's first ends the slice
  t.teardown(() => setInPlaceCalls(true));
  let requests = 0;
  const hook = asyncHooks.createHook({
    init(_id, type) {
      if (type === 'FSREQCALLBACK') requests++;
    },
  }).enable();
  try {
    // A yield goes back to the event loop once the hub's turn is over (2 ms), as
    // sleep(0) does: the immediate runs then.
    let ran = false;
    const calls = await spawn(() => {
      setImmediate(() => (ran = true));
      let n = 0;
      while (!ran && n < 100_000) {
        green.statSync(__filename);
        n++;
      }
      return n;
    });
    t.true(ran, `the immediate did not run during ${calls} calls`);
    t.is(requests, 0);
  } finally {
    hook.disable();
  }
});

test.serial('a fiber looping on quick calls in place still lets timers and other fibers run', async (t) => {
  // No call counts as slow (that would also send one to the threadpool): only the slice.
  setInPlaceCalls(true, Infinity, 10);
  t.teardown(() => setInPlaceCalls(true));
  let stop = false;
  let calls = 0;
  const looper = spawn(() => {
    while (!stop) {
      green.statSync(__filename);
      calls++;
    }
  });
  // Without a slice, statSync in place never switches: this timer would never fire.
  const other = spawn(() => sleep(5));
  await new Promise((resolve) => setTimeout(resolve, 30));
  await other;
  stop = true;
  await looper;
  t.true(calls > 0);
});

test.serial('a GC pause inside a quick call does not send the next calls to the threadpool; a slow call does', async (t) => {
  // Slow above 100 ms, far above a preemption on a loaded machine; no slice, so only
  // slowness can send a call the threadpool way.
  setInPlaceCalls(true, 100, Infinity);
  t.teardown(() => setInPlaceCalls(true));
  const heap = Array.from({ length: 1_000_000 }, (_, i) => ({ i })); // full GCs of tens of ms
  // node's statSync reads options.bigint inside the call: the getter runs in it.
  const during = (work: () => void) => ({
    get bigint() {
      work();
      return false;
    },
  });
  // Plain full GCs, back to back: almost all of the call's time is inside GC pauses, so
  // a preemption on a loaded machine falls inside one too (binding.collectGarbage()
  // does work between its GCs, where a preemption counts as the call's own time).
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (options: object) => void;
  const r = await spawn(() => {
    let gcMs = 0;
    let wallMs = 0;
    green.statSync(__filename, during(() => {
      const start = performance.now();
      const gc0 = binding.gcMs![0]!;
      while (performance.now() - start < 150) gc({ type: 'major', execution: 'sync' });
      wallMs = performance.now() - start;
      gcMs = binding.gcMs![0]! - gc0;
    }));
    const s0 = hub.switches;
    green.statSync(__filename);
    const afterGc = hub.switches - s0;
    green.lstatSync(__filename, during(() => {
      const until = performance.now() + 150;
      while (performance.now() < until);
    }));
    const s1 = hub.switches;
    green.lstatSync(__filename);
    return { gcMs, wallMs, afterGc, afterSlow: hub.switches - s1 };
  });
  t.is(heap.length, 1_000_000);
  const spent = `${r.gcMs.toFixed(1)} ms of GC in ${r.wallMs.toFixed(1)} ms`;
  t.true(r.gcMs >= 100, spent);
  t.is(r.afterGc, 0, `the call after the GC pauses ran in place (${spent})`);
  t.is(r.afterSlow, 1, 'the call after a slow call took the threadpool');
});

test.serial('killed FIFO opens (read and write ends) keep no threadpool thread and no fd', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-fifo-'));
  try {
    const before = openFds();
    // More than libuv's 4 threads: if killed opens kept theirs, the last ones would
    // never run, nor would threadpoolFree().
    const calls: Array<(fifo: string) => unknown> = [
      (fifo) => green.openSync(fifo, 'r'),
      (fifo) => green.openSync(fifo, 'w'),
      (fifo) => green.openSync(fifo, fs.constants.O_RDONLY),
      (fifo) => green.readFileSync(fifo),
      (fifo) => green.writeFileSync(fifo, 'x'),
      (fifo) => green.appendFileSync(fifo, 'x'),
    ];
    for (const [i, call] of calls.entries()) {
      const fifo = path.join(dir, `fifo${i}`);
      cp.execFileSync('mkfifo', [fifo]);
      let calling = false;
      const f = spawn(() => {
        calling = true;
        return call(fifo);
      });
      while (!calling) await settle(1);
      f.kill();
      await f;
      t.is(f.value instanceof Error, true, `#${i} was killed while blocked`);
      await threadpoolFree();
    }
    for (let i = 0; i < 100 && openFds() > before; i++) await settle(20);
    t.is(openFds(), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('killed mkdtempSync, mkdirSync and openSync(wx) leave nothing they created', async (t) => {
  // The threadpool path (a mkdirSync run in place cannot be killed mid-call).
  setInPlaceCalls(false);
  t.teardown(() => setInPlaceCalls(true));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-kill-'));
  try {
    const kept = new Set<string>(); // what calls that did return made (the caller owns it)
    let killedWhilePending = 0;
    for (let i = 0; i < 60; i++) {
      const nested = path.join(dir, `m${i}`, 'a', 'b');
      const calls: Array<() => void> = [
        () => kept.add(path.basename(green.mkdtempSync(path.join(dir, 'tmp-')))),
        () => (green.mkdirSync(path.join(dir, `d${i}`)), kept.add(`d${i}`)),
        () => (green.mkdirSync(nested, { recursive: true }), kept.add(`m${i}`)),
        () => {
          const fd = green.openSync(path.join(dir, `f${i}`), 'wx');
          kept.add(`f${i}`);
          green.closeSync(fd); // killed here, the close still completes
        },
      ];
      for (const call of calls) {
        let calling = false;
        const f = spawn(() => {
          calling = true;
          call();
        });
        let pending: boolean;
        if (i % 2 === 0) {
          // Killed by a fiber the same hub turn runs right after f parks: the threadpool
          // cannot have reported the call done yet (that needs an IO poll), so it is pending.
          const killer = spawn(() => {
            const was = !f.dead;
            f.kill();
            return was;
          });
          pending = await killer;
        } else {
          // One event-loop turn later: the call may have ended by then.
          while (!calling) await settle(0);
          await new Promise((r) => setImmediate(r));
          pending = !f.dead;
          f.kill();
        }
        await f;
        if (pending) killedWhilePending++;
      }
    }
    await threadpoolFree();
    await settle(50); // the rmdir/unlink of late results run on the threadpool
    const left = () => fs.readdirSync(dir).filter((n) => !kept.has(n));
    for (let i = 0; i < 50 && left().length > 0; i++) await settle(20);
    t.deepEqual(left(), []);
    t.true(killedWhilePending > 50, `${killedWhilePending} calls killed while pending`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('a Symbol fd gives ERR_INVALID_ARG_TYPE, in a fiber and on the hub (node 20 aborts on it)', (t) => {
  // In a child process: without the check the process aborts.
  const script = `
    const { spawn } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'index.js'))});
    const gfs = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'io', 'fs.js'))});
    const names = ['closeSync', 'fsyncSync', 'fdatasyncSync', 'fstatSync', 'ftruncateSync', 'fchmodSync', 'readSync', 'writeSync'];
    const codes = (where) => names.map((n) => { try { gfs[n](Symbol('fd'), Buffer.alloc(1)); return where + ' ' + n + ' returned'; } catch (e) { return e.code; } });
    const hub = codes('hub');
    spawn(() => console.log(JSON.stringify([...hub, ...codes('fiber')])));
  `;
  const r = cp.spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), Array(16).fill('ERR_INVALID_ARG_TYPE'));
});

test.serial('-0 as an fd or mode, and a mode of 2^31 or more, do not abort the process (node 20 does)', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-mode-'));
  try {
    const script = `
      const { spawn } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'index.js'))});
      const gfs = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'io', 'fs.js'))});
      const D = ${JSON.stringify(dir)};
      const calls = () => [
        () => gfs.chmodSync(D + '/missing', -0),
        () => gfs.chmodSync(D + '/missing', 2 ** 31),
        () => gfs.mkdirSync(D + '/m' + Math.random(), 2 ** 31 + 0o755),
        () => gfs.openSync(D + '/missing', 'r', -0),
        () => gfs.fstatSync(-0).isFile(),
      ].map((c) => { try { return String(c()); } catch (e) { return e.code; } });
      const hub = calls();
      spawn(() => console.log(JSON.stringify([hub, calls()])));
    `;
    const r = cp.spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    t.is(r.status, 0, r.stderr.slice(0, 1000));
    const [hub, fiber] = JSON.parse(r.stdout) as [string[], string[]];
    t.deepEqual(hub, fiber);
    // -0 is 0; a mode past int32 is a range error or the mode's low bits, never an abort.
    t.is(hub[0], 'ENOENT');
    t.true(['ENOENT', 'ERR_OUT_OF_RANGE'].includes(hub[1]!), hub[1]);
    t.true(['undefined', 'ERR_OUT_OF_RANGE'].includes(hub[2]!), hub[2]);
    t.is(hub[3], 'ENOENT');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
