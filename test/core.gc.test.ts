// core.gc.test.ts: GC safety of suspended fibers under V8's stress flags (each run in a subprocess).
import test from 'ava';
import { runFixture } from './helpers/subprocess.js';

// Sizes fit CI time on 2 cores; the stress flags make every GC far more frequent.
const cases: Array<[string, string[], number]> = [
  ['plain', [], 5000],
  ['--stress-compaction', ['--stress-compaction'], 2000],
  ['--gc-interval=50', ['--gc-interval=50'], 1000],
  ['--stress-incremental-marking', ['--stress-incremental-marking'], 2000],
  ['--verify-heap', ['--verify-heap'], 500],
  ['--always-turbofan', ['--always-turbofan'], 2000],
  ['--stress-scavenge=20', ['--stress-scavenge=20'], 2000],
];

for (const [name, flags, count] of cases) {
  test(`suspended fibers keep stack-only objects intact: ${name}`, (t) => {
    const r = runFixture('gc-stress.js', { flags: ['--expose-gc', ...flags], args: [String(count), '3'], timeout: 240_000 });
    t.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    t.true(out.ok);
    t.is(out.fibers, count);
    t.true(out.collected > 0, 'unreferenced objects are still collected');
  });
}
