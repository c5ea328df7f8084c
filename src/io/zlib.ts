// zlib.ts: greenstack/zlib, a drop-in for node:zlib whose *Sync functions run on libuv's threadpool while only the calling fiber waits.
//
// In a fiber, gzipSync(buf, opts) runs gzip(buf, opts, cb): the same engine with
// the same options on the whole input in one Z_FINISH write, so the bytes are the
// ones gzipSync produces, and the same validation runs before anything is queued.
// Outside a fiber each function is node:zlib's own.
import zlib = require('node:zlib');
import { isAnyArrayBuffer } from 'node:util/types';
import { callbackTwins, viaTwin, type CooperativeModule } from './cooperative.js';
import { declareCooperative } from './declare.js';

export * from 'node:zlib';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** Every *Sync function of node:zlib greenstack makes cooperative (zstd: Node 22.15+). */
export const syncFunctionNames = [
  'brotliCompressSync',
  'brotliDecompressSync',
  'deflateRawSync',
  'deflateSync',
  'gunzipSync',
  'gzipSync',
  'inflateRawSync',
  'inflateSync',
  'unzipSync',
  'zstdCompressSync',
  'zstdDecompressSync',
] as const;

/** The *Sync functions node:zlib has in this process (enumerated at load). */
export const nodeSyncFunctionNames: readonly string[] = Object.keys(zlib).filter(
  (k) => k.endsWith('Sync') && typeof (zlib as unknown as Record<string, unknown>)[k] === 'function',
);

const nodeZlib = zlib as unknown as Record<string, AnyFn | undefined>;

// The async form names a bad input "chunk" (the stream rejects it); the sync form
// names it "buffer": let node:zlib's sync function reject it.
function badInput([buffer]: unknown[]): boolean {
  return !(typeof buffer === 'string' || ArrayBuffer.isView(buffer) || isAnyArrayBuffer(buffer));
}
// zstdCompressSync, given the whole input in one call, writes its size into the
// frame header; the stream form does so only when told the size up front.
function withPledgedSize(twin: AnyFn): AnyFn {
  return (buffer: unknown, opts: unknown, cb?: unknown) => {
    if (typeof opts === 'function') [opts, cb] = [undefined, opts];
    // (The engine ignores options that are not an object.)
    const given = typeof opts === 'object' && opts !== null ? opts : undefined;
    if (given === undefined || !('pledgedSrcSize' in given)) {
      const size = typeof buffer === 'string' ? Buffer.byteLength(buffer) : (buffer as ArrayBufferView | ArrayBuffer).byteLength;
      opts = { ...given, pledgedSrcSize: size };
    }
    return twin(buffer, opts, cb);
  };
}

const coop: Record<string, AnyFn> = {};
for (const name of syncFunctionNames) {
  const sync = nodeZlib[name];
  let twin = nodeZlib[name.slice(0, -4)];
  if (typeof sync !== 'function' || typeof twin !== 'function') continue;
  if (name === 'zstdCompressSync') twin = withPledgedSize(twin);
  coop[name] = viaTwin(name, sync, twin, { arity: 2, direct: badInput });
}

const declared = declareCooperative('zlib', zlib, coop, callbackTwins(zlib));

/** The cooperative replacements by node:zlib name (only those this Node has). */
export const implementsSync = declared.implementsSync;

/** The declaration the patcher reads. */
export const cooperative: CooperativeModule = declared.cooperative;

export const brotliCompressSync: typeof zlib.brotliCompressSync = coop.brotliCompressSync as never;
export const brotliDecompressSync: typeof zlib.brotliDecompressSync = coop.brotliDecompressSync as never;
export const deflateRawSync: typeof zlib.deflateRawSync = coop.deflateRawSync as never;
export const deflateSync: typeof zlib.deflateSync = coop.deflateSync as never;
export const gunzipSync: typeof zlib.gunzipSync = coop.gunzipSync as never;
export const gzipSync: typeof zlib.gzipSync = coop.gzipSync as never;
export const inflateRawSync: typeof zlib.inflateRawSync = coop.inflateRawSync as never;
export const inflateSync: typeof zlib.inflateSync = coop.inflateSync as never;
export const unzipSync: typeof zlib.unzipSync = coop.unzipSync as never;
// Newer Nodes only (undefined where node:zlib lacks them).
export const zstdCompressSync: AnyFn | undefined = coop.zstdCompressSync;
export const zstdDecompressSync: AnyFn | undefined = coop.zstdDecompressSync;

/** A zlib-like object: node:zlib's members with the cooperative *Sync functions. */
export default declared.like;
