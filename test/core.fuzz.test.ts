// core.fuzz.test.ts: property-based fuzzing of every function greenstack defines (fixture fuzz.js), in a child process on the current backend.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { fixturesDir } from './helpers/subprocess.js';

// Runs per function: a fixed seed, so the same values every time. The count fits
// the suite's time on 2 cores; GREENSTACK_FUZZ_RUNS=200 runs the longer fuzz.
const runs = process.env.GREENSTACK_FUZZ_RUNS ?? '30';

test('fuzz: hostile values to every function of every entry point give a result or a typed error, never an abort, hang or internal TypeError', (t) => {
  t.timeout(600_000);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-fuzz-'));
  try {
    const r = spawnSync(process.execPath, [path.join(fixturesDir, 'fuzz.js'), runs], { cwd, encoding: 'utf8', timeout: 540_000 });
    t.is(r.signal, null, `the fuzzing process was killed: ${r.stderr.slice(-2000)}`);
    t.is(r.status, 0, r.stderr.slice(-2000));
    const { functions, runs: done, violations } = JSON.parse(r.stdout) as { functions: number; runs: number; violations: unknown[] };
    t.deepEqual(violations, []);
    t.true(functions > 300, `${functions} functions fuzzed`);
    t.true(done > functions * 5, `${done} calls`);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});
