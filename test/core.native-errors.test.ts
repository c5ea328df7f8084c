// core.native-errors.test.ts: errors thrown by the native addon are instances of greenstack's own error classes.
import test from 'ava';
import {
  BackendInUseError,
  BlockingInHubError,
  configure,
  Event,
  GreenstackError,
  InvalidSwitchError,
  spawn,
} from '../dist/index.js';
import { InvalidArgTypeError, InvalidArgValueError } from '../dist/core/errors.js';
import { binding, type FiberHandle } from '../dist/core/native.js';

test('suspend() outside a fiber: BlockingInHubError', (t) => {
  const err = t.throws(() => binding.suspend());
  t.true(err instanceof BlockingInHubError);
  t.true(err instanceof GreenstackError);
  t.is((err as BlockingInHubError).code, 'ERR_GREENSTACK_BLOCKING_IN_HUB');
});

test('resume() from inside a fiber: InvalidSwitchError', async (t) => {
  const gate = new Event();
  const waiting = spawn(() => void gate.wait());
  const err = await spawn(() => {
    try {
      binding.resume((waiting as unknown as { _handle: FiberHandle })._handle);
      return null;
    } catch (e) {
      return e;
    }
  });
  gate.set();
  await waiting;
  t.true(err instanceof InvalidSwitchError, String(err));
  t.is((err as InvalidSwitchError).code, 'ERR_GREENSTACK_INVALID_SWITCH');
});

test('bad arguments: InvalidArgTypeError and InvalidArgValueError', (t) => {
  const notHandle = t.throws(() => binding.resume({} as FiberHandle));
  t.true(notHandle instanceof InvalidArgTypeError);
  t.true(notHandle instanceof TypeError);
  t.is((notHandle as InvalidArgTypeError).code, 'ERR_INVALID_ARG_TYPE');
  const notFn = t.throws(() => binding.newFiber(42 as unknown as () => void));
  t.true(notFn instanceof InvalidArgTypeError);
  const badName = t.throws(() => binding.setBackend('turbo' as 'fast'));
  t.true(badName instanceof InvalidArgValueError);
  t.is((badName as InvalidArgValueError).code, 'ERR_INVALID_ARG_VALUE');
});

test('changing the backend while a fiber is alive: BackendInUseError', async (t) => {
  const gate = new Event();
  const f = spawn(() => void gate.wait());
  const other = binding.backendInfo()[0] === 'fast' ? 'carrier' : 'fast';
  const err = t.throws(() => binding.setBackend(other, () => true));
  t.true(err instanceof BackendInUseError);
  t.throws(() => configure({ backend: other }), { instanceOf: BackendInUseError });
  gate.set();
  await f;
});
