// net.examples.test.ts: the runnable examples of greenstack/net and greenstack/http run and print what the README shows.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

const examples = path.join(__dirname, '..', 'examples');

function run(file: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(examples, file), ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test.serial('examples/echo-server.js --demo: three clients echoed, then stopped', (t) => {
  const r = run('echo-server.js', ['--demo']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^echo server on 127\.0\.0\.1:\d+\nclient got back: one\nclient got back: two\nclient got back: three\nstopped\n$/);
});

test.serial('examples/cluster.js --demo: requests served by both worker processes', (t) => {
  const r = run('cluster.js', ['--demo']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^20 requests answered by 2 worker processes \(\d+ \+ \d+\)\n$/);
});
