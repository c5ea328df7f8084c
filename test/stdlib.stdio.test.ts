// stdlib.stdio.test.ts: writes to stdout/stderr from fibers stay synchronous and in order (stdout redirected to a file, under the CLI).
import { spawnSync } from 'node:child_process';
import fs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { spawn } from 'greenstack';
import * as green from 'greenstack/fs';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

const root = path.join(__dirname, '..');
const bin = path.join(root, 'bin/greenstack.js');
const fixture = path.join(root, 'test/fixtures/stdio.js');

/** Runs the stdio fixture under the CLI with stdout (and stderr) in files. */
function runToFiles(t: { teardown(fn: () => void): void }, scenario: string, env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-stdio-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = fs.openSync(path.join(dir, 'out'), 'w');
  const err = fs.openSync(path.join(dir, 'err'), 'w');
  let r;
  try {
    r = spawnSync(process.execPath, [bin, fixture, scenario], {
      stdio: ['ignore', out, err],
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  return {
    status: r.status,
    stdout: fs.readFileSync(path.join(dir, 'out'), 'utf8'),
    stderr: fs.readFileSync(path.join(dir, 'err'), 'utf8'),
  };
}

test.serial("every fiber's console.log line survives another fiber's process.exit()", (t) => {
  const r = runToFiles(t, 'exit');
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, [0, 1, 2, 3, 4, 5].map((i) => `line ${i}\n`).join(''));
});

test.serial('a log line does not wait behind pbkdf2Sync work of other fibers', (t) => {
  const r = runToFiles(t, 'pbkdf2', { UV_THREADPOOL_SIZE: '2' });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.split('\n')[0], 'log line');
  t.true(r.stdout.includes('pbkdf2 fibers done when it returned: 0\n'), r.stdout);
});

test.serial('lines of many fibers to stdout and stderr keep program order, each line whole', (t) => {
  const r = runToFiles(t, 'order');
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  // Every line whole; before the statSync the fibers log in spawn order; each fiber's
  // second line after its first (after the statSync: in the order the calls
  // completed when they park, at once when the statSync ran in place).
  t.deepEqual([...lines].sort(), Array.from({ length: 50 }, (_, i) => [`out ${i}`, `out ${i} again`]).flat().sort());
  t.deepEqual(lines.filter((l) => !l.endsWith('again')), Array.from({ length: 50 }, (_, i) => `out ${i}`));
  for (let i = 0; i < 50; i++) t.true(lines.indexOf(`out ${i}`) < lines.indexOf(`out ${i} again`), `fiber ${i}'s order`);
  t.deepEqual(
    r.stderr.trim().split('\n'),
    Array.from({ length: 50 }, (_, i) => `err ${i}`),
  );
});

test.serial('greenstack/fs writes to fds 1 and 2 run in place: the fiber does not switch', async (t) => {
  // Writes of zero bytes: nothing shows in the test output.
  let others = 0;
  let stop = false;
  const ticker = spawn(() => {
    while (!stop) {
      others++;
      green.statSync(__filename);
    }
  });
  const f = spawn(() => {
    const before = others;
    green.writeSync(1, '');
    green.writeSync(2, Buffer.alloc(0));
    green.writevSync(1, [Buffer.alloc(0)]);
    green.writeFileSync(1, '');
    green.appendFileSync(2, '');
    return others - before;
  });
  try {
    t.is(await f, 0);
  } finally {
    stop = true;
    await ticker;
  }
});
