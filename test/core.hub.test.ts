// core.hub.test.ts: the hub's callback batch: each callback guarded on its own, its error reported once.
import test from 'ava';
import { runFixture } from './helpers/subprocess.js';

test('a throwing link does not drop the rest of the batch: joinAll returns, each error reported once', (t) => {
  const r = runFixture('hub-callback-errors.js', { args: ['handler'], timeout: 30_000 });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), {
    joined: true,
    evLinks: 1,
    reported: ['event link', 'link Fiber-1', 'link Fiber-2', 'link Fiber-3'],
  });
});

test('without an uncaughtException handler a throwing link ends the process like any uncaught error', (t) => {
  const r = runFixture('hub-callback-errors.js', { args: ['no-handler'], timeout: 30_000 });
  t.is(r.status, 1);
  t.regex(r.stderr, /link boom/);
});
