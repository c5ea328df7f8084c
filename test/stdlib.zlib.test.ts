// stdlib.zlib.test.ts: greenstack/zlib: byte-identical output and identical errors in a fiber, every *Sync covered, work moved off the hub.
import zlib = require('node:zlib');
import * as crypto from 'node:crypto';
import test from 'ava';
import { spawn } from 'greenstack';
import * as green from 'greenstack/zlib';
import { checkLeaks } from './helpers/leaks.js';
import { parksAloneAndBeside, whileTicking } from './helpers/ticker.js';

checkLeaks(test);

const random = crypto.randomBytes(300_000);
const text = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `line ${i} ${(i * 7919) % 1000}\n`).join(''));
const inputs: Array<[string, unknown]> = [
  ['empty', Buffer.alloc(0)],
  ['small', Buffer.from('hello hello hello')],
  ['text', text],
  ['random', random],
  ['string', 'a string input '.repeat(100)],
  ['Uint8Array', new Uint8Array(text.buffer, text.byteOffset, 5000)],
  ['ArrayBuffer', text.buffer.slice(text.byteOffset, text.byteOffset + 4096)],
  ['DataView', new DataView(random.buffer, random.byteOffset, 4000)],
];
const compressOptions: unknown[] = [
  undefined,
  { level: 1 },
  { level: 9, memLevel: 9 },
  { level: 0 },
  { strategy: zlib.constants.Z_HUFFMAN_ONLY },
  { chunkSize: 1024, windowBits: 10 },
];
const brotliOptions: unknown[] = [
  undefined,
  { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } },
  { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT } },
  { chunkSize: 2048 },
];

type Z = Record<string, (...a: unknown[]) => unknown>;
const pairs: Array<[compress: string, decompress: string[], options: unknown[]]> = [
  ['gzipSync', ['gunzipSync', 'unzipSync'], compressOptions],
  ['deflateSync', ['inflateSync', 'unzipSync'], compressOptions],
  ['deflateRawSync', ['inflateRawSync'], compressOptions],
  ['brotliCompressSync', ['brotliDecompressSync'], brotliOptions],
];
if (typeof (zlib as unknown as Z).zstdCompressSync === 'function') pairs.push(['zstdCompressSync', ['zstdDecompressSync'], [undefined]]);

function outcome(fn: () => unknown): unknown {
  try {
    const v = fn();
    if (Buffer.isBuffer(v)) return { hex: v.toString('hex') };
    if (typeof v === 'object' && v !== null && 'buffer' in v) return { info: Object.keys(v), hex: (v as { buffer: Buffer }).buffer.toString('hex') };
    return v;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: err.constructor.name, name: err.name, message: err.message, code: err.code, errno: err.errno, keys: Object.keys(err), head: String(err.stack).split('\n')[0] };
  }
}

// Every call, made by `z` (node:zlib or greenstack/zlib).
function table(z: Z): unknown[] {
  const out: unknown[] = [];
  let label = '';
  for (const [compress, decompressors, options] of pairs) {
    for (const [kind, input] of inputs) {
      for (const opts of options) {
        label = `${compress}(${kind}, ${JSON.stringify(opts)})`;
        out.push(label, outcome(() => z[compress]!(input, opts)));
        const packed = (zlib as unknown as Z)[compress]!(input, opts) as Buffer;
        for (const d of decompressors) out.push(outcome(() => z[d]!(packed)));
      }
    }
    // Errors: corrupt input, bad arguments, output limits, info mode.
    out.push(`${compress} errors`);
    for (const d of decompressors) {
      out.push(outcome(() => z[d]!(Buffer.from('this is not compressed data'))));
      out.push(outcome(() => z[d]!(((zlib as unknown as Z)[compress]!(text) as Buffer).subarray(0, 100))));
      out.push(outcome(() => z[d]!((zlib as unknown as Z)[compress]!(text), { maxOutputLength: 1000 })));
      out.push(outcome(() => z[d]!(42)));
    }
    out.push(outcome(() => z[compress]!(text, { info: true })));
    out.push(outcome(() => z[compress]!(null)));
    out.push(outcome(() => z[compress]!(text, { level: 42 })));
    out.push(outcome(() => z[compress]!(text, 'notoptions')));
    out.push(outcome(() => z[compress]!(text, { chunkSize: 3 })));
  }
  return out;
}

test.serial('every call gives node:zlib bytes and errors, inside a fiber', async (t) => {
  const expected = table(zlib as unknown as Z);
  const actual = await spawn(() => table(green as unknown as Z));
  t.is(actual.length, expected.length);
  let mismatches = 0;
  let label = '';
  for (let i = 0; i < expected.length; i++) {
    if (typeof expected[i] === 'string' && !String(expected[i]).startsWith('{')) label = String(expected[i]);
    if (JSON.stringify(actual[i]) !== JSON.stringify(expected[i])) {
      mismatches++;
      t.deepEqual(actual[i], expected[i], `call #${i} after ${label}`);
    }
  }
  t.is(mismatches, 0);
  t.true(expected.length > 300);
});

test.serial('the declared list covers every *Sync function of node:zlib', (t) => {
  const declared = new Set<string>(green.syncFunctionNames);
  t.deepEqual(green.nodeSyncFunctionNames.filter((n) => !declared.has(n)), []);
  for (const name of green.nodeSyncFunctionNames) {
    t.is(typeof green.implementsSync[name], 'function', name);
    t.not(green.implementsSync[name], (zlib as unknown as Z)[name]);
  }
  t.is(green.createGzip, zlib.createGzip);
  t.is(green.constants, zlib.constants);
  t.is(green.cooperative.module, 'zlib');
});

// An unmodified zlib-heavy script under the CLI took 1.7x node's time when each call
// made a threadpool round trip that no other fiber could use.
test.serial('a fiber alone compresses in place; beside another fiber the call parks', async (t) => {
  const input = Buffer.alloc(64 * 1024, 'greenstack ');
  let same = 0;
  const parks = await parksAloneAndBeside(() => {
    if (zlib.gunzipSync(green.gzipSync(input)).equals(input)) same++;
  });
  t.deepEqual(parks, { alone: 0, beside: 1 });
  t.is(same, 2);
});

test.serial('a big compression runs on the threadpool: other fibers keep running', async (t) => {
  const big = crypto.randomBytes(8 * 1024 * 1024);
  const { value: packed, ticks } = await whileTicking(() =>
    green.brotliCompressSync(big, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }),
  );
  t.true(zlib.brotliDecompressSync(packed).equals(big));
  t.true(ticks >= 3, `the ticker ran ${ticks} times during the compression`);
});
