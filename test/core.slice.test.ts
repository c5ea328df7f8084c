// core.slice.test.ts: a hub turn ends after its time slice even in the middle of a burst of ready fibers, so timers keep firing.
import fs = require('node:fs');
import test from 'ava';
import { Event, joinAll, spawn } from 'greenstack';
import * as green from 'greenstack/fs';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

test.serial('1000 fibers woken at once do not all run before a due timer fires', async (t) => {
  const go = new Event();
  let waiting = 0;
  let timerFired = false;
  const sawTimer: boolean[] = [];
  const fibers = Array.from({ length: 1000 }, () =>
    spawn(() => {
      waiting++;
      go.wait();
      // Some work per fiber (a workload, not a timing assertion): the burst as a
      // whole takes far longer than one hub turn's slice.
      const until = performance.now() + 0.05;
      while (performance.now() < until);
      sawTimer.push(timerFired);
    }),
  );
  while (waiting < 1000) await new Promise((resolve) => setImmediate(resolve));
  // From an IO callback (poll phase), so the burst's first hub turn (check phase)
  // comes before the next timers phase; the timer is already due by then.
  await new Promise<void>((resolve) =>
    fs.stat(__filename, () => {
      setTimeout(() => {
        timerFired = true;
      }, 1);
      const due = performance.now() + 3;
      while (performance.now() < due);
      go.set();
      resolve();
    }),
  );
  await spawn(() => joinAll(fibers, { raiseError: true }));
  t.is(sawTimer.length, 1000);
  t.false(sawTimer[0], 'the burst started before the timer');
  t.true(sawTimer[999], 'the timer fired while the burst ran');
});

test.serial('a 10 ms interval keeps ticking while 1000 fibers each do 30 statSync', async (t) => {
  let ticksWhileBusy = 0;
  let busy = true;
  const interval = setInterval(() => {
    if (busy) ticksWhileBusy++;
  }, 10);
  t.teardown(() => clearInterval(interval));
  await spawn(() => {
    const fibers = Array.from({ length: 1000 }, () =>
      spawn(() => {
        for (let i = 0; i < 30; i++) green.statSync(__filename);
      }),
    );
    joinAll(fibers, { raiseError: true });
    busy = false;
  });
  t.true(ticksWhileBusy > 0);
});
