// core.gc.test.ts: GC safety of suspended fibers under V8's stress flags (each run in a subprocess).
import test from 'ava';
import { gcStressCases, runFixture } from './helpers/subprocess.js';

for (const [name, flags, count] of gcStressCases) {
  test(`suspended fibers keep stack-only objects intact: ${name}`, (t) => {
    const r = runFixture('gc-stress.js', { flags: ['--expose-gc', ...flags], args: [String(count), '3'], timeout: 240_000 });
    t.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    t.true(out.ok);
    t.is(out.fibers, count);
    t.true(out.collected > 0, 'unreferenced objects are still collected');
  });
}
