// toolkit.local.test.ts: FiberLocal: a value per fiber and one for the hub, init, no leak of dead fibers' values.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import test from 'ava';
import { FiberLocal, sleep, spawn } from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

test.serial('each fiber sees its own value; the hub has its own; nothing is inherited', async (t) => {
  const local = new FiberLocal<string>();
  local.value = 'hub';
  const fibers = ['a', 'b', 'c'].map((name) =>
    spawn(() => {
      const before = local.value;
      local.value = name;
      sleep(2); // others run and set theirs meanwhile
      const child = spawn(() => local.value);
      return [before, local.value, child.get()];
    }),
  );
  const results = await Promise.all(fibers);
  t.deepEqual(results, [
    [undefined, 'a', undefined],
    [undefined, 'b', undefined],
    [undefined, 'c', undefined],
  ]);
  t.is(local.value, 'hub');
  t.true(local.has());
  t.true(local.delete());
  t.false(local.has());
  t.is(local.value as string | undefined, undefined);
});

test.serial('init runs once per fiber (and once for the hub), on first read', async (t) => {
  let calls = 0;
  const counter = new FiberLocal(() => {
    calls++;
    return { n: 0 };
  });
  const bump = () => {
    counter.value.n++;
    sleep(0);
    counter.value.n++;
    return counter.value.n;
  };
  t.deepEqual(await Promise.all([spawn(bump), spawn(bump)]), [2, 2]);
  t.is(calls, 2);
  t.is(counter.value.n, 0);
  t.is(calls, 3);
  counter.delete();
  t.is(counter.value.n, 0);
  t.is(calls, 4, 'delete() makes the next read call init again');
  const failing = new FiberLocal<number>(() => {
    throw new Error('init failed');
  });
  t.throws(() => failing.value, { message: 'init failed' });
  t.false(failing.has());
});

test.serial('values of dead fibers are not kept alive by the FiberLocal', async (t) => {
  const local = new FiberLocal<object>();
  const refs: Array<WeakRef<object>> = [];
  for (let i = 0; i < 20; i++) {
    await spawn(() => {
      const v = { big: new Array(1000).fill(i) };
      refs.push(new WeakRef(v));
      local.value = v;
    });
  }
  for (let i = 0; i < 5 && refs.some((r) => r.deref() !== undefined); i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
  t.is(refs.filter((r) => r.deref() !== undefined).length, 0);
});

test.serial('bad arguments are typed errors', (t) => {
  t.throws(() => new FiberLocal(5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
});
