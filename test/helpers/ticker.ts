// ticker.ts: runs a blocking call in a fiber while another fiber ticks, to show the call let others run.
import { sleep, spawn } from 'greenstack';

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
