// stdlib.wholefile.test.ts: whole-file writes (writeFileSync, appendFileSync, copyFileSync) to one path are atomic with respect to other fibers.
import fs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { joinAll, spawn, Timeout } from 'greenstack';
import * as green from 'greenstack/fs';
import { checkLeaks } from './helpers/leaks.js';

checkLeaks(test);

const big = Buffer.alloc(8 << 20, 'a');
const small = Buffer.alloc(1 << 20, 'b');

function tmpDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-wholefile-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Which of the candidates the file holds, or 'mixed'. */
function contentOf(file: string, candidates: Record<string, Buffer>): string {
  const got = fs.readFileSync(file);
  for (const [name, b] of Object.entries(candidates)) if (got.equals(b)) return name;
  return 'mixed';
}

test.serial('two fibers writing 8 MiB and 1 MiB to one path leave one of the two contents', async (t) => {
  const file = path.join(tmpDir(t), 'f');
  for (let round = 0; round < 10; round++) {
    await spawn(() => joinAll([spawn(() => green.writeFileSync(file, big)), spawn(() => green.writeFileSync(file, small))], { raiseError: true }));
    t.not(contentOf(file, { big, small }), 'mixed', `round ${round}`);
  }
});

test.serial('appendFileSync from two fibers: each append lands whole', async (t) => {
  const file = path.join(tmpDir(t), 'f');
  const a = Buffer.alloc(4 << 20, 'a');
  const b = Buffer.alloc(4 << 20, 'b');
  for (let round = 0; round < 5; round++) {
    fs.writeFileSync(file, '');
    await spawn(() => joinAll([spawn(() => green.appendFileSync(file, a)), spawn(() => green.appendFileSync(file, b))], { raiseError: true }));
    t.not(contentOf(file, { ab: Buffer.concat([a, b]), ba: Buffer.concat([b, a]) }), 'mixed', `round ${round}`);
  }
});

test.serial('copyFileSync onto a path another fiber is writing leaves one whole content', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'f');
  const src = path.join(dir, 'src');
  fs.writeFileSync(src, small);
  for (let round = 0; round < 5; round++) {
    await spawn(() => joinAll([spawn(() => green.writeFileSync(file, big)), spawn(() => green.copyFileSync(src, file))], { raiseError: true }));
    t.not(contentOf(file, { big, small }), 'mixed', `round ${round}`);
  }
});

test.serial('the lock is per resolved path: a relative and an absolute name are one file', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'f');
  const rel = path.relative(process.cwd(), file);
  for (let round = 0; round < 5; round++) {
    await spawn(() => joinAll([spawn(() => green.writeFileSync(file, big)), spawn(() => green.writeFileSync(rel, small))], { raiseError: true }));
    t.not(contentOf(file, { big, small }), 'mixed', `round ${round}`);
  }
});

test.serial('a fiber killed while waiting for the path leaves the queue; the next one writes', async (t) => {
  const file = path.join(tmpDir(t), 'f');
  const third = Buffer.alloc(1 << 20, 'c');
  await spawn(() => {
    const a = spawn(() => green.writeFileSync(file, big));
    const b = spawn(() => green.writeFileSync(file, small));
    const c = spawn(() => green.writeFileSync(file, third));
    b.kill();
    joinAll([a, c], { raiseError: true });
    t.true(b.dead);
  });
  t.is(contentOf(file, { big, small, third }), 'third');
});

test.serial('a fiber killed mid-write keeps the path until its write really ended: the next write is whole', async (t) => {
  const file = path.join(tmpDir(t), 'f');
  await spawn(() => {
    const a = spawn(() => green.writeFileSync(file, big));
    const b = spawn(() => green.writeFileSync(file, small));
    a.kill();
    b.join();
  });
  // a's write may still be running on libuv after a died: b waited for it to end.
  t.is(contentOf(file, { big, small }), 'small');
});

test.serial('a Timeout while waiting for the path releases nothing it does not hold', async (t) => {
  const file = path.join(tmpDir(t), 'f');
  await spawn(() => {
    const a = spawn(() => green.writeFileSync(file, big));
    const b = spawn(() => {
      const timeout = Timeout.startNew(0);
      try {
        green.writeFileSync(file, small);
        return 'wrote';
      } catch (err) {
        if (timeout.is(err)) return 'timed out';
        throw err;
      } finally {
        timeout.cancel();
      }
    });
    const outcome = b.get();
    a.join();
    // Then the path is free again: a third write goes through alone.
    green.writeFileSync(file, 'last');
    t.true(outcome === 'timed out' || outcome === 'wrote');
  });
  t.is(fs.readFileSync(file, 'utf8'), 'last');
});

test.serial('writes to different paths do not wait for each other, and errors release the path', async (t) => {
  const dir = tmpDir(t);
  await spawn(() => {
    const bad = path.join(dir, 'missing-dir', 'f');
    const errors = joinAll([spawn(() => green.writeFileSync(bad, 'x')), spawn(() => green.writeFileSync(bad, 'y'))]).map((f) => (f.error as NodeJS.ErrnoException | undefined)?.code);
    t.deepEqual(errors, ['ENOENT', 'ENOENT']);
    joinAll([spawn(() => green.writeFileSync(path.join(dir, 'x'), 'x')), spawn(() => green.writeFileSync(path.join(dir, 'y'), 'y'))], { raiseError: true });
  });
  t.is(fs.readFileSync(path.join(dir, 'x'), 'utf8'), 'x');
  t.is(fs.readFileSync(path.join(dir, 'y'), 'utf8'), 'y');
});
