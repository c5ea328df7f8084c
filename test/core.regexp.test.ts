// core.regexp.test.ts: deeply nested regexps in fibers throw as on the main thread (V8 recurses natively below the JS stack limit).
import test from 'ava';
import { runFixture } from './helpers/subprocess.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const KINDS = ['group', 'nonCapturingStar', 'lookahead', 'lookbehind', 'named'];

interface Outcome {
  kind: string;
  depth: number;
  result: string;
}

function run(stackSize: number | 'main', where: 'top' | 'edge', kinds: string[]) {
  return runFixture('regexp-depth.js', { args: [String(stackSize), '25000', where, kinds.join(',')], timeout: 120_000 });
}

function outcomes(stackSize: number | 'main', where: 'top' | 'edge', kinds: string[]): Outcome[] {
  const r = run(stackSize, where, kinds);
  if (r.status !== 0) throw new Error(`stack ${stackSize} ${where}: exit ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as Outcome[];
}

// The main thread's outcome per kind, each in its own process: on some Node versions
// V8 itself aborts on the main thread (Node 24: "RegExpCompiler Allocation failed" for
// nested lookarounds), and a fiber cannot be asked to do better than that.
const mainTop: Outcome[] = [];
const mainAborts: string[] = [];
for (const kind of KINDS) {
  const r = run('main', 'top', [kind]);
  if (r.status === 0) mainTop.push(...(JSON.parse(r.stdout.trim()) as Outcome[]));
  else mainAborts.push(kind);
}
const kinds = mainTop.map((o) => o.kind);

test('the main thread throws SyntaxError for 25,000 nested groups', (t) => {
  if (mainAborts.length > 0) t.log(`the main thread itself aborts on: ${mainAborts.join(', ')}`);
  t.true(kinds.includes('group') && kinds.includes('named'));
  for (const o of mainTop) t.is(o.result, 'SyntaxError', o.kind);
});

// A pattern compiled at the top of the fiber: V8's regexp compiler gives up with a
// SyntaxError while its unchecked recursion still has the native reserve below it.
// (Bigger stacks compile these patterns, which takes a minute: see the edge case.)
for (const size of [128 * KiB, 256 * KiB, 1 * MiB]) {
  test(`a fiber with a ${size / KiB} KiB stack throws as the main thread does`, (t) => {
    t.deepEqual(outcomes(size, 'top', kinds), mainTop);
  });
}

// The worst case: compiling with the JS stack all but used up, so the native
// recursion starts right at the limit. Every stack size gets the same reserve.
for (const size of [128 * KiB, 1 * MiB, 16 * MiB, 64 * MiB]) {
  test(`a fiber with a ${size / KiB} KiB stack compiling at its stack limit throws, never crashes`, (t) => {
    for (const o of outcomes(size, 'edge', kinds)) t.regex(o.result, /^(SyntaxError|RangeError)$/, o.kind);
  });
}
