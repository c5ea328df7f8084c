// stdlib.crypto.test.ts: greenstack/crypto: same bytes and errors in a fiber, every *Sync with a twin covered, work moved off the hub.
import { createHook } from 'node:async_hooks';
import crypto = require('node:crypto');
import os = require('node:os');
import test from 'ava';
import { spawn, Timeout, TimeoutError } from 'greenstack';
import * as green from 'greenstack/crypto';
import { cpuSlots } from '../dist/core/internal.js';
import { checkLeaks } from './helpers/leaks.js';
import { parksAloneAndBeside, whileTicking } from './helpers/ticker.js';

checkLeaks(test);

type C = Record<string, (...a: unknown[]) => unknown>;

function outcome(fn: () => unknown): unknown {
  try {
    const v = fn();
    if (Buffer.isBuffer(v)) return { buffer: v.toString('hex') };
    if (v instanceof ArrayBuffer) return { arrayBuffer: Buffer.from(v).toString('hex') };
    return v;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: err.constructor.name, name: err.name, message: err.message, code: err.code, keys: Object.keys(err), head: String(err.stack).split('\n')[0] };
  }
}

// Deterministic functions, valid and invalid arguments: results must match exactly.
function table(c: C): unknown[] {
  const calls: Array<() => unknown> = [
    () => c.pbkdf2Sync!('password', 'salt', 1000, 32, 'sha256'),
    () => c.pbkdf2Sync!(Buffer.from('pw'), new Uint8Array([1, 2, 3]), 1, 64, 'sha512'),
    () => c.pbkdf2Sync!('pw', 'salt', 10, 0, 'sha1'),
    () => c.pbkdf2Sync!('pw', 'salt', 1000, 32, 'nope'),
    () => c.pbkdf2Sync!('pw', 'salt', -1, 32, 'sha256'),
    () => c.pbkdf2Sync!('pw', 'salt', 1000, 'x', 'sha256'),
    () => c.pbkdf2Sync!(5, 'salt', 1000, 32, 'sha256'),
    () => c.pbkdf2Sync!('pw', 'salt', 1000, 32),
    () => c.scryptSync!('password', 'salt', 64),
    () => c.scryptSync!('password', 'salt', 32, { N: 1024, r: 4, p: 2 }),
    () => c.scryptSync!('password', 'salt', 32, { cost: 2048, blockSize: 8, parallelization: 1 }),
    () => c.scryptSync!('password', 'salt', 32, { N: 3 }),
    () => c.scryptSync!('password', 'salt', 32, { N: 1024, cost: 1024 }),
    () => c.scryptSync!('password', 'salt', 32, { maxmem: 1 }),
    () => c.scryptSync!('password', 'salt', -5),
    () => c.hkdfSync!('sha256', 'key', 'salt', 'info', 64),
    () => c.hkdfSync!('sha512', Buffer.from('key'), '', '', 16),
    () => c.hkdfSync!('sha256', 'key', 'salt', 'info', 255 * 32 + 1),
    () => c.hkdfSync!('nope', 'key', 'salt', 'info', 16),
    () => c.hkdfSync!('sha256', 5, 'salt', 'info', 16),
    () => c.checkPrimeSync!(Buffer.from([7])),
    () => c.checkPrimeSync!(97n),
    () => c.checkPrimeSync!(100n, { checks: 10 }),
    () => c.checkPrimeSync!('seven'),
    () => c.checkPrimeSync!(97n, { checks: 'x' }),
    () => c.generatePrimeSync!(-1),
    () => c.generatePrimeSync!(16, { bigint: 'yes' }),
    () => c.generateKeyPairSync!('nope'),
    () => c.generateKeyPairSync!('rsa', { modulusLength: 'x' }),
    () => c.generateKeySync!('hmac', { length: 7 }),
    () => c.generateKeySync!('nope', { length: 64 }),
    () => c.randomFillSync!('not a buffer'),
    () => c.randomFillSync!(Buffer.alloc(100_000), -1),
    () => c.randomFillSync!(Buffer.alloc(100_000), 0, 200_000),
    () => c.randomFillSync!(new Uint32Array(40_000), 40_001),
  ];
  return calls.map(outcome);
}

test.serial('deterministic results and every error match node:crypto, inside a fiber', async (t) => {
  const expected = table(crypto as unknown as C);
  const actual = await spawn(() => table(green as unknown as C));
  let mismatches = 0;
  for (let i = 0; i < expected.length; i++) {
    if (JSON.stringify(actual[i]) !== JSON.stringify(expected[i])) {
      mismatches++;
      t.deepEqual(actual[i], expected[i], `call #${i}`);
    }
  }
  t.is(mismatches, 0);
});

test.serial('random and key-generating functions give what node:crypto gives, in a fiber', async (t) => {
  const r = await spawn(() => {
    const prime = green.generatePrimeSync(64, { bigint: true });
    const primeBuf = green.generatePrimeSync(32);
    const rsa = green.generateKeyPairSync('rsa', {
      modulusLength: 1024,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const ed = green.generateKeyPairSync('ed25519');
    const hmac = green.generateKeySync('hmac', { length: 256 });
    const big = Buffer.alloc(1 << 20);
    const filled = green.randomFillSync(big, 1000, 5000);
    const view = new Uint32Array(1 << 16);
    green.randomFillSync(view, 10);
    return { prime, primeBuf, rsa, ed, hmac, big, filled, view };
  });
  t.is(typeof r.prime, 'bigint');
  t.true(crypto.checkPrimeSync(r.prime));
  t.true(r.primeBuf instanceof ArrayBuffer);
  t.true(crypto.checkPrimeSync(Buffer.from(r.primeBuf)));
  t.deepEqual(Object.keys(r.rsa), ['publicKey', 'privateKey']);
  t.regex(r.rsa.publicKey, /^-----BEGIN PUBLIC KEY-----/);
  const sig = crypto.sign('sha256', Buffer.from('x'), r.rsa.privateKey);
  t.true(crypto.verify('sha256', Buffer.from('x'), r.rsa.publicKey, sig));
  t.is(r.ed.publicKey.asymmetricKeyType, 'ed25519');
  t.is(r.ed.privateKey.type, 'private');
  t.is(r.hmac.symmetricKeySize, 32);
  t.is(r.filled, r.big, 'returns its argument');
  t.true(r.big.subarray(0, 1000).every((b) => b === 0) && r.big.subarray(6000).every((b) => b === 0));
  t.false(r.big.subarray(1000, 6000).every((b) => b === 0));
  t.true(r.view.subarray(0, 10).every((x) => x === 0));
  t.false(r.view.subarray(10).every((x) => x === 0));
});

test.serial('the declared list covers every *Sync function of node:crypto that has a callback twin', (t) => {
  const present = green.nodeSyncFunctionNames;
  const declared = new Set<string>(green.syncFunctionNames);
  t.deepEqual(present.filter((n) => !declared.has(n)), []);
  for (const name of present) {
    t.is(typeof green.implementsSync[name], 'function', name);
    t.not(green.implementsSync[name], (crypto as unknown as C)[name]);
  }
  t.is(green.createHash, crypto.createHash);
  t.is(green.webcrypto, crypto.webcrypto);
  t.is(green.cooperative.module, 'crypto');
});

test.serial('a fiber alone derives a key in place; beside another fiber the call parks', async (t) => {
  const keys: string[] = [];
  const parks = await parksAloneAndBeside(() => void keys.push(green.pbkdf2Sync('pw', 'salt', 1000, 32, 'sha256').toString('hex')));
  t.deepEqual(parks, { alone: 0, beside: 1 });
  t.deepEqual(keys, Array(2).fill(crypto.pbkdf2Sync('pw', 'salt', 1000, 32, 'sha256').toString('hex')));
});

// Patch mode's threadpool has 32+ threads (for IO that stalls); CPU-bound jobs on all
// of them starved the hub's thread (a Pool(32) gzip build ran 1.27x its async rewrite).
test.serial('CPU-bound jobs: at most one per CPU on the threadpool, the others wait their turn; a kill while waiting or running frees the slot', async (t) => {
  const n = cpuSlots.limit + 3;
  const expected = crypto.pbkdf2Sync('pw', 'salt', 20_000, 32, 'sha256').toString('hex');
  // A job starts at its init and ends when its callback is about to run (after the
  // sync call above: a sync job has an init and no callback).
  const inFlight = new Set<number>();
  let most = 0;
  const hook = createHook({
    init(id, type) {
      if (type !== 'PBKDF2REQUEST') return;
      inFlight.add(id);
      most = Math.max(most, inFlight.size);
    },
    before(id) {
      inFlight.delete(id);
    },
  }).enable();
  t.teardown(() => hook.disable());
  const derive = (): string => green.pbkdf2Sync('pw', 'salt', 20_000, 32, 'sha256').toString('hex');
  const keys = await Promise.all(Array.from({ length: n }, () => spawn(derive)));
  t.deepEqual(keys, Array(n).fill(expected));
  // (On carriers the hub is pinned, so availableParallelism() here may read 1.)
  t.true(most >= 1 && most <= cpuSlots.limit && most <= os.cpus().length, `${most} jobs at once, ${os.cpus().length} CPUs`);
  t.is(cpuSlots.busy(), 0);
  // Killed while its job runs (the job ends on libuv, then frees the slot) and while waiting for a slot.
  const slow = (): string => green.pbkdf2Sync('pw', 'salt', 200_000, 32, 'sha256').toString('hex');
  const fibers = Array.from({ length: n }, () => spawn(slow));
  // Until the fibers have started and taken every slot (a job takes about 100 ms).
  for (let i = 0; i < 500 && cpuSlots.busy() < cpuSlots.limit; i++) await new Promise((r) => setTimeout(r, 1));
  t.is(cpuSlots.busy(), cpuSlots.limit);
  fibers[0]!.kill();
  fibers[n - 1]!.kill();
  const settled = await Promise.allSettled(fibers);
  const slowKey = crypto.pbkdf2Sync('pw', 'salt', 200_000, 32, 'sha256').toString('hex');
  t.is(settled.filter((r) => r.status === 'fulfilled' && r.value === slowKey).length, n - 2, 'the others derived their keys');
  for (let i = 0; i < 200 && cpuSlots.busy() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(cpuSlots.busy(), 0, 'every slot is free again');
  t.is(await spawn(derive), expected);
});

test.serial('scrypt runs on the threadpool: other fibers keep running', async (t) => {
  const { value: key, ticks } = await whileTicking(() =>
    green.scryptSync('pw', 'salt', 32, { N: 2 ** 16, maxmem: 256 * 1024 * 1024 }),
  );
  t.true(key.equals(crypto.scryptSync('pw', 'salt', 32, { N: 2 ** 16, maxmem: 256 * 1024 * 1024 })));
  t.true(ticks >= 3, `the ticker ran ${ticks} times`);
});

test.serial('a timed-out randomFillSync leaves the caller buffer untouched', async (t) => {
  const buf = Buffer.alloc(64 * 1024 * 1024);
  const f = spawn(() => {
    using _t = Timeout.startNew(1);
    return green.randomFillSync(buf);
  });
  await t.throwsAsync(async () => f, { instanceOf: TimeoutError });
  await new Promise((r) => setTimeout(r, 300)); // the fill finishes meanwhile, into its own buffer
  t.true(buf.every((b) => b === 0));
});
