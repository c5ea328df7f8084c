// wait-options.ts: the options every blocking call takes (`timeout`, `signal`), parsed and validated once.
import { InvalidArgTypeError, validateMs, validateSignal } from '../core/errors.js';
import { type BlockOptions } from '../core/waiter.js';

/** Options every blocking call takes: `timeout` in ms, `signal` to abort. */
export type WaitArg = number | BlockOptions | undefined;

/**
 * Validates a blocking call's options (a bare number is the timeout). Throws the
 * signal's reason if it is already aborted, before the call does anything.
 * Returns undefined when there is neither timeout nor signal.
 */
export function parseWait(arg: unknown, name = 'options'): BlockOptions | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'number') return { timeout: validateMs('timeout', arg) };
  if (typeof arg !== 'object' || arg === null) {
    throw new InvalidArgTypeError(name, 'of type number or object', arg);
  }
  const o = arg as BlockOptions;
  const timeout = o.timeout === undefined ? undefined : validateMs(`${name}.timeout`, o.timeout);
  const signal = validateSignal(`${name}.signal`, o.signal);
  if (signal?.aborted) throw signal.reason;
  if (timeout === undefined && signal === undefined) return undefined;
  return { timeout, signal };
}

/** `timeout: 0` polls: the call never parks (so it also works on the hub). */
export function isPoll(opts: BlockOptions | undefined): boolean {
  return opts?.timeout === 0;
}
