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
