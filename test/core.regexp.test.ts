// core.regexp.test.ts: deeply nested regexps in fibers throw as on the main thread (V8 recurses natively below the JS stack limit).
import test from 'ava';
import { runFixture } from './helpers/subprocess.js';

const KiB = 1024;
const MiB = 1024 * KiB;

interface Outcome {
  kind: string;
  depth: number;
  result: string;
}

function outcomes(stackSize: number | 'main', where: 'top' | 'edge'): Outcome[] {
  const r = runFixture('regexp-depth.js', { args: [String(stackSize), '25000', where], timeout: 120_000 });
  if (r.status !== 0) throw new Error(`stack ${stackSize} ${where}: exit ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as Outcome[];
}

// A pattern compiled at the top of the fiber: V8's regexp compiler gives up with a
// SyntaxError while its unchecked recursion still has the native reserve below it.
// (Bigger stacks compile these patterns, which takes a minute: see the edge case.)
const mainTop = outcomes('main', 'top');

test('the main thread throws SyntaxError for 25,000 nested groups of each kind', (t) => {
  t.is(mainTop.length, 5);
  for (const o of mainTop) t.is(o.result, 'SyntaxError', o.kind);
});

for (const size of [128 * KiB, 256 * KiB, 1 * MiB]) {
  test(`a fiber with a ${size / KiB} KiB stack throws as the main thread does`, (t) => {
    t.deepEqual(outcomes(size, 'top'), mainTop);
  });
}

// The worst case: compiling with the JS stack all but used up, so the native
// recursion starts right at the limit. Every stack size gets the same reserve.
for (const size of [128 * KiB, 1 * MiB, 16 * MiB, 64 * MiB]) {
  test(`a fiber with a ${size / KiB} KiB stack compiling at its stack limit throws, never crashes`, (t) => {
    for (const o of outcomes(size, 'edge')) t.regex(o.result, /^(SyntaxError|RangeError)$/, o.kind);
  });
}
