// net.tls-threads.test.ts: TLS contexts made from fibers and the hub (Node 24 keeps per-thread state there).
import test from 'ava';
import { runFixture } from './helpers/subprocess.js';

test('https.get with `ca` in a fiber and contexts on the hub, patch mode: no abort', (t) => {
  const r = runFixture('tls-threads.js');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /got hello/);
});
