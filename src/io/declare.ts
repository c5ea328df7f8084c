// declare.ts: what each cooperative io module (fs, child_process, zlib, crypto) exports besides its functions: the patcher's declaration and a builtin-like default export.
import type { CooperativeModule } from './cooperative.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** One cooperative io module's declaration, and its builtin with the replacements in place. */
export interface Declared<M> {
  /** The cooperative replacements by builtin name (only those this Node has). */
  readonly implementsSync: Readonly<Record<string, AnyFn>>;
  /** The declaration the patcher reads. */
  readonly cooperative: CooperativeModule;
  /** A copy of the builtin's members with the cooperative functions in place (the default export). */
  readonly like: M;
}

/**
 * Declares the cooperative replacements coop (by builtin name; undefined where this
 * Node lacks the function) for the builtin `module`, with the callback APIs whose
 * callbacks continue in a fiber (`continues`), and builds its builtin-like object.
 */
export function declareCooperative<M extends object>(
  module: string,
  builtin: M,
  coop: Readonly<Record<string, AnyFn | undefined>>,
  continues: readonly string[] = [],
): Declared<M> {
  const implementsSync: Readonly<Record<string, AnyFn>> = Object.freeze(
    Object.fromEntries(Object.entries(coop).filter((e): e is [string, AnyFn] => e[1] !== undefined)),
  );
  const like = Object.defineProperties({}, Object.getOwnPropertyDescriptors(builtin)) as M;
  for (const [name, fn] of Object.entries(implementsSync)) {
    Object.defineProperty(like, name, { value: fn, writable: true, enumerable: true, configurable: true });
  }
  return { implementsSync, cooperative: { module, implements: implementsSync, continues }, like };
}
