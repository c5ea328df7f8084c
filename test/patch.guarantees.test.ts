// patch.guarantees.test.ts: implicit yields keep node's guarantees (module loading, unsafe parks, run to completion) and work continued from a fiber stays in one; each scenario in its own process, on the backend CI selects.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';

const root = path.join(__dirname, '..');
const bin = path.join(root, 'bin/greenstack.js');
const fixture = path.join(root, 'test/fixtures/guarantees.js');

// mode 'cli': `greenstack guarantees.js name`; 'preload': `node -r greenstack/patch` (main on the hub).
function scenario(name: string, mode: 'cli' | 'preload' = 'cli'): unknown {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-guarantees-'));
  try {
    const args = mode === 'cli' ? [bin, fixture, name] : ['-r', path.join(root, 'dist/patch/patch.js'), fixture, name];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TMPDIR_G: tmp } });
    if (r.status !== 0) throw new Error(`${name}: exit ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]!);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

test('require(): fibers loading one module at once all get its complete exports (implicit calls at its top level)', (t) => {
  t.deepEqual(scenario('require-implicit'), [true, true, true, true, true]);
});

test('require(): a module whose top level sleeps: the others wait for its load to finish', (t) => {
  t.deepEqual(scenario('require-explicit'), [true, true, true, true]);
});

test('createRequire() and import() of CommonJS from fibers get complete exports', (t) => {
  t.deepEqual(scenario('createRequire'), [true, true, true, true]);
  t.deepEqual(scenario('import-cjs'), [true, true, true, true]);
});

test('two fibers that cross-require each other\'s modules do not deadlock', (t) => {
  t.deepEqual(scenario('require-cross'), { a: true, b: true });
});

test('inside an async_hooks scope a patched call runs node\'s own sync function: same results, no AsyncScopeError', (t) => {
  t.deepEqual(scenario('async-scope'), ['one', 'two', 'one', 3]);
});

test('a patched call inside Error.prepareStackTrace does not park: other fibers keep getting CallSites', (t) => {
  t.deepEqual(scenario('prepare-stack-trace'), Array(10).fill(true));
});

test('run to completion: a fiber\'s callbacks, ticks and immediates wait until its synchronous code has run', (t) => {
  const seen = scenario('run-to-completion') as Array<[string, number]>;
  t.deepEqual(seen.map(([, x]) => x), [42, 42, 42]);
  t.deepEqual(seen.map(([k]) => k).sort(), ['immediate', 'stat', 'tick']);
});

// The end of a slice of calls in place yields to the hub: once with sleep(0), an
// explicit yield, which let the fiber's own tick and immediate run mid-code.
test('run to completion holds across the yields that end slices of calls in place', (t) => {
  const seen = scenario('run-to-completion-slice') as Array<[string, number]>;
  t.deepEqual(seen.map(([, x]) => x), [42, 42, 42]);
  t.deepEqual(seen.map(([k]) => k).sort(), ['immediate', 'stat', 'tick']);
});

test('run to completion holds only the parked fiber\'s own callbacks; child_process counts as an implicit call', (t) => {
  t.deepEqual(scenario('others-run-meanwhile'), [
    ['b-callback', false],
    ['a-callback', true],
  ]);
});

test('a listener registered in a fiber runs in a fiber when the hub emits; emit returns when it blocks; invocations stay in order', (t) => {
  t.deepEqual(scenario('listener-in-fiber', 'preload'), [
    ['start', 1, true],
    ['after-emit-1'],
    ['after-emit-2'],
    ['hub-listener', false],
    ['end', 1],
    ['second', 1],
    ['start', 2, true],
    ['end', 2],
    ['second', 2],
  ]);
});

test('a listener that throws before it blocks throws out of emit(), as in node', (t) => {
  t.deepEqual(scenario('listener-throws', 'preload'), { caught: 'boom' });
});

test('timers, immediates, intervals and fs callbacks set in a fiber run in a fiber', (t) => {
  const seen = scenario('timers-in-fiber') as Array<[string, boolean]>;
  for (const [what, inFiber] of seen) t.true(inFiber, what);
  t.deepEqual(seen.map(([k]) => k), ['hub-timeout', 'immediate', 'interval', 'interval', 'readFile', 'timeout']);
});

test('blocking calls in callbacks continued from fibers overlap (an express.static-like stat callback, then execSync)', (t) => {
  const r = scenario('callbacks-overlap') as { maxInFlight: number };
  t.true(r.maxInFlight > 1, JSON.stringify(r));
});

test('a \'data\' listener that blocks is backpressure: a 50 MiB upload is written in order, one chunk at a time', (t) => {
  const { chunks, ...rest } = scenario('upload-backpressure', 'preload') as { chunks: number };
  t.true(chunks > 0);
  t.deepEqual(rest, { overlapped: false, handlerInFiber: true, manyChunks: true, sameBytes: true, size: true });
});

test('patch mode: a cooperative call on the hub (after an await) is reported once per call site; BlockingInHubError names the cause', (t) => {
  t.deepEqual(scenario('blocking-on-hub', 'preload'), {
    warnings: [{ code: 'GREENSTACK_BLOCKING_ON_HUB', here: true }],
    message: 'ERR_GREENSTACK_BLOCKING_IN_HUB: names await',
  });
});

test('\'exit\' handlers that process.exit() runs in a fiber do not park: no other fiber runs after exit()', (t) => {
  t.deepEqual(scenario('exit-handler'), { content: 'written at exit', othersRan: false });
});

test('dns callbacks given in a fiber continue in a fiber', (t) => {
  t.deepEqual(scenario('dns-callback', 'preload'), { err: null, inFiber: true });
});

test('the CLI program\'s own top level still parks on patched calls (only the modules it requires load atomically)', (t) => {
  t.deepEqual(scenario('main-top-level-parks'), { othersRan: true });
});

test('process \'beforeExit\' listeners a fiber registered run where node runs them: as often as node emits it', (t) => {
  t.deepEqual(scenario('before-exit'), { calls: 2 });
});
