// subprocess.ts: runs a fixture script in its own node process (crash and exit scenarios).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const fixturesDir = path.join(__dirname, '..', '..', 'test', 'fixtures');

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs test/fixtures/<name> with node flags and args; bounded in time. */
export function runFixture(
  name: string,
  options: { flags?: string[]; args?: string[]; env?: Record<string, string>; timeout?: number } = {},
): RunResult {
  const r = spawnSync(process.execPath, [...(options.flags ?? []), path.join(fixturesDir, name), ...(options.args ?? [])], {
    encoding: 'utf8',
    timeout: options.timeout ?? 60_000,
    env: { ...process.env, ...options.env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * test/fixtures/gc-stress.js runs: [name, V8 flags, suspended fibers]. Sizes fit CI
 * time on 2 cores; the stress flags make every GC far more frequent.
 */
export const gcStressCases: Array<[string, string[], number]> = [
  ['plain', [], 5000],
  ['--stress-compaction', ['--stress-compaction'], 2000],
  ['--gc-interval=50', ['--gc-interval=50'], 1000],
  ['--stress-incremental-marking', ['--stress-incremental-marking'], 2000],
  ['--verify-heap', ['--verify-heap'], 500],
  ['--always-turbofan', ['--always-turbofan'], 2000],
  ['--stress-scavenge=20', ['--stress-scavenge=20'], 2000],
];
