// crypto.ts: greenstack/crypto, a drop-in for node:crypto whose CPU-heavy *Sync functions run on libuv's threadpool while only the calling fiber waits.
//
// In a fiber, pbkdf2Sync(...) runs pbkdf2(..., cb): the same job with the same
// validation (thrown before anything is queued), the same bytes. Outside a fiber
// each function is node:crypto's own. randomFillSync moves to the threadpool only
// for large fills, into a private buffer copied out when the fiber gets it.
import crypto = require('node:crypto');
import { callbackTwins, first, inFiber, parkOnCallback, viaTwin, type CooperativeModule } from './cooperative.js';
import { declareCooperative } from './declare.js';

export * from 'node:crypto';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** Fills smaller than this stay synchronous: a handoff costs more than the fill. */
export const RANDOM_FILL_THRESHOLD = 64 * 1024;

/**
 * The *Sync functions of node:crypto greenstack makes cooperative: all that have
 * a callback twin (argon2Sync: Node 24.7+).
 */
export const syncFunctionNames = [
  'argon2Sync',
  'checkPrimeSync',
  'generateKeyPairSync',
  'generateKeySync',
  'generatePrimeSync',
  'hkdfSync',
  'pbkdf2Sync',
  'randomFillSync',
  'scryptSync',
] as const;

/** The *Sync functions node:crypto has in this process (enumerated at load). */
export const nodeSyncFunctionNames: readonly string[] = Object.keys(crypto).filter(
  (k) => k.endsWith('Sync') && typeof (crypto as unknown as Record<string, unknown>)[k] === 'function',
);

const nodeCrypto = crypto as unknown as Record<string, AnyFn | undefined>;
const arity: Record<string, number> = {
  argon2Sync: 2,
  checkPrimeSync: 2,
  generateKeyPairSync: 2,
  generateKeySync: 2,
  generatePrimeSync: 2,
  hkdfSync: 5,
  pbkdf2Sync: 5,
  scryptSync: 4,
};

const coop: Record<string, AnyFn> = {};
for (const [name, n] of Object.entries(arity)) {
  const sync = nodeCrypto[name];
  const twin = nodeCrypto[name.slice(0, -4)];
  if (typeof sync !== 'function' || typeof twin !== 'function') continue;
  // generateKeyPair calls back (err, publicKey, privateKey); the sync form returns both.
  const pick = name === 'generateKeyPairSync' ? (r: unknown[]) => ({ publicKey: r[0], privateKey: r[1] }) : undefined;
  coop[name] = viaTwin(name, sync, twin, { arity: n, pick });
}

const originalRandomFillSync = crypto.randomFillSync as AnyFn;
const randomFill = crypto.randomFill as AnyFn;

// randomFillSync's offset and size count elements of buf; null for anything that
// is small, or not a plain valid view (node:crypto then runs or rejects it).
function fillPlan(args: unknown[]): { at: number; bytes: number } | null {
  const [buf, offset = 0, size] = args;
  if (!ArrayBuffer.isView(buf)) return null;
  const element = (buf as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) return null;
  const at = offset * element;
  if (at > buf.byteLength) return null;
  let bytes: number;
  if (size === undefined) bytes = buf.byteLength - at;
  else if (typeof size === 'number' && Number.isInteger(size) && size >= 0) bytes = size * element;
  else return null;
  if (at + bytes > buf.byteLength || bytes < RANDOM_FILL_THRESHOLD) return null;
  return { at, bytes };
}

coop.randomFillSync = {
  randomFillSync(this: unknown, ...args: unknown[]): unknown {
    const plan = inFiber() ? fillPlan(args) : null;
    if (plan === null) return originalRandomFillSync.apply(this, args);
    // A private buffer: a fiber killed mid-fill never has late bytes land in buf.
    const scratch = parkOnCallback('randomFillSync', (cb) => randomFill(Buffer.allocUnsafe(plan.bytes), cb), first<Buffer>);
    const buf = args[0] as ArrayBufferView;
    scratch.copy(new Uint8Array(buf.buffer, buf.byteOffset + plan.at, plan.bytes));
    return buf;
  },
}.randomFillSync;
Object.defineProperty(coop.randomFillSync, 'length', { value: originalRandomFillSync.length });

const declared = declareCooperative('crypto', crypto, coop, callbackTwins(crypto, ['randomBytes', 'randomInt', 'pseudoRandomBytes']));

/** The cooperative replacements by node:crypto name (only those this Node has). */
export const implementsSync = declared.implementsSync;

/** The declaration the patcher reads. */
export const cooperative: CooperativeModule = declared.cooperative;

export const checkPrimeSync: typeof crypto.checkPrimeSync = coop.checkPrimeSync as never;
export const generateKeyPairSync: typeof crypto.generateKeyPairSync = coop.generateKeyPairSync as never;
export const generateKeySync: typeof crypto.generateKeySync = coop.generateKeySync as never;
export const generatePrimeSync: typeof crypto.generatePrimeSync = coop.generatePrimeSync as never;
export const hkdfSync: typeof crypto.hkdfSync = coop.hkdfSync as never;
export const pbkdf2Sync: typeof crypto.pbkdf2Sync = coop.pbkdf2Sync as never;
export const randomFillSync: typeof crypto.randomFillSync = coop.randomFillSync as never;
export const scryptSync: typeof crypto.scryptSync = coop.scryptSync as never;
// Newer Nodes only (undefined where node:crypto lacks it).
export const argon2Sync: AnyFn | undefined = coop.argon2Sync;

/** A crypto-like object: node:crypto's members with the cooperative *Sync functions. */
export default declared.like;
