// ticker.ts: runs a blocking call in a fiber while another fiber ticks, to show the call let others run; counts a call's parks, alone and beside another fiber.
import { sleep, spawn, wait } from 'greenstack';
import { hub, setInPlaceCalls } from '../../dist/core/internal.js';

/** Runs fn in a fiber; meanwhile a second fiber ticks every 1 ms. Returns fn's value and the tick count. */
export async function whileTicking<T>(fn: () => T): Promise<{ value: T; ticks: number }> {
  let ticks = 0;
  let done = false;
  const ticker = spawn(() => {
    while (!done) {
      sleep(1);
      ticks++;
    }
  });
  const value = await spawn(() => {
    try {
      return fn();
    } finally {
      done = true;
    }
  });
  await ticker;
  return { value, ticks };
}

/**
 * Runs fn in a fiber alone, then again while a second fiber is alive (parked), and
 * returns how many times the calling fiber parked (switched out) in each run.
 */
export async function parksAloneAndBeside(fn: () => void): Promise<{ alone: number; beside: number }> {
  setInPlaceCalls(true); // forget earlier tests' slow calls (a backoff would send fn's to the threadpool)
  const parks = (): number => {
    const s = countSwitches();
    try {
      fn();
      return s.count();
    } finally {
      s.restore();
    }
  };
  const alone = await spawn(parks);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const other = spawn(() => wait(gate));
  const beside = await spawn(parks);
  release();
  await other;
  return { alone, beside };
}

/** Counts switches out of fibers (parks) until restore(). */
export function countSwitches(): { count: () => number; restore: () => void } {
  let n = 0;
  const original = hub.switchOut;
  hub.switchOut = function (this: typeof hub, ...args: Parameters<typeof hub.switchOut>) {
    n++;
    return original.apply(this, args);
  };
  return { count: () => n, restore: () => (hub.switchOut = original) };
}
