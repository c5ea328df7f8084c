// core.carriers.test.ts: the pool of idle carriers (or fast-backend stacks) shrinks after a burst: at once when maxIdleCarriers is lowered, and to a small reserve once idle.
import test from 'ava';
import { onCarriers } from './helpers/backend.js';
import { configure, Event, runtimeStats, spawn, type Fiber } from '../dist/index.js';
import { threadCount } from './helpers/leaks.js';
import { until } from './helpers/net.js';

const carrier = onCarriers();

// n fibers alive at once, then all finished: their carriers go back to the pool.
async function burst(n: number): Promise<void> {
  const gate = new Event();
  const fibers: Fiber<void>[] = [];
  const before = runtimeStats().suspended;
  for (let i = 0; i < n; i++) fibers.push(spawn(() => void gate.wait()));
  await until(() => runtimeStats().suspended === before + n, 60_000, `${n} fibers suspended`);
  gate.set();
  await Promise.all(fibers);
}

test.serial('lowering maxIdleCarriers frees the idle surplus at once', async (t) => {
  await burst(500);
  t.true(runtimeStats().idleCarriers >= 500);
  const threads = threadCount();
  configure({ maxIdleCarriers: 0 });
  const after = runtimeStats();
  t.is(after.idleCarriers, 0);
  t.is(after.carriers, 0);
  if (carrier) t.true(threadCount() <= threads - 500, 'carrier threads ended');
  configure({ maxIdleCarriers: 1024 });
  t.is(await spawn(() => 'still works'), 'still works');
});

test.serial('after a burst of 5000 fibers, idle carriers are freed down to a small reserve', async (t) => {
  configure({ idleCarrierTimeout: 100 });
  t.teardown(() => configure({ idleCarrierTimeout: 20_000 }));
  await burst(5000);
  // Everything above maxIdleCarriers (1024) retired at once; the rest waits for the timeout.
  t.true(runtimeStats().carriers <= 1024);
  await until(() => runtimeStats().idleCarriers <= 32, 30_000, 'idle carriers trimmed');
  t.true(runtimeStats().carriers <= 32);
  t.is(await spawn(() => 'still works'), 'still works');
});

// The idle watcher once ran only while fewer than 32 fibers were alive (it was blamed
// for early exits that were a fixture's race): a surplus beside them was never freed.
test.serial('idle carriers are freed down to the reserve while 40 other fibers stay parked', async (t) => {
  configure({ idleCarrierTimeout: 100 });
  t.teardown(() => configure({ idleCarrierTimeout: 20_000 }));
  const hold = new Event();
  const held: Fiber<void>[] = [];
  for (let i = 0; i < 40; i++) held.push(spawn(() => void hold.wait()));
  await until(() => runtimeStats().suspended === 40, 60_000, '40 fibers suspended');
  await burst(500);
  await until(() => runtimeStats().idleCarriers <= 32, 30_000, 'idle carriers trimmed beside parked fibers');
  t.is(runtimeStats().suspended, 40);
  hold.set();
  await Promise.all(held);
});

test.serial('idleCarrierTimeout is validated', (t) => {
  for (const bad of [0, -1, 1.5, 2 ** 31, NaN]) {
    t.throws(() => configure({ idleCarrierTimeout: bad }), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  t.throws(() => configure({ idleCarrierTimeout: '5' as unknown as number }), { code: 'ERR_INVALID_ARG_TYPE' });
});
