// net.patch.test.ts: patch mode for net/tls/http: unmodified servers whose handlers block (readFileSync, execSync, wait(fetch)) serve concurrently; the off switch; unpatch.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkLeaks } from './helpers/leaks.js';
import { runFixture } from './helpers/subprocess.js';

checkLeaks(test);

const patch = ['-r', 'greenstack/patch'];
const cli = path.join(__dirname, '..', 'bin', 'greenstack.js');

function run(mode: string, options: { flags?: string[]; env?: Record<string, string> } = {}): Record<string, unknown> {
  const r = runFixture('net-patch.js', { flags: options.flags ?? patch, args: [mode], env: options.env, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`fixture ${mode} exited ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

test.serial("http: handlers blocked in wait(fetch(...)) at the same time (the upstream answers only when 4 wait)", (t) => {
  const r = run('fetch');
  t.deepEqual(r.results, Array(4).fill('read upstream ok'));
  // What fetch and Response#text register from the handler's fiber stays on the hub: a
  // request starts its handler's fiber and the upstream's (a server in this process
  // too), no more (it was 6 when fetch's own callbacks each continued in a fiber).
  t.is(r.perRequest, 2);
  t.deepEqual(r.names, ['fetch', fetch.length, 'text']);
});

// Response.prototype is a lazy getter that loads undici: wrapping its body readers at
// start-up cost every patched process 15-40 ms, fetch() or not.
test.serial("patch mode and the CLI load node's fetch (undici) only when the program calls fetch()", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-undici-'));
  try {
    const script = path.join(dir, 'loaded.js');
    fs.writeFileSync(script, [
      "const loaded = () => process.moduleLoadList.some((m) => m.includes('undici'));",
      'const before = loaded();',
      "fetch('http://127.0.0.1:1/').catch(() => console.log(JSON.stringify([before, loaded(), Response.prototype.text.name])));",
    ].join('\n'));
    for (const flags of [patch, [cli]]) {
      const r = spawnSync(process.execPath, [...flags, script], { encoding: 'utf8', timeout: 30_000 });
      t.is(r.status, 0, r.stderr);
      t.deepEqual(JSON.parse(r.stdout.trim()), [false, true, 'text'], flags.join(' '));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('http: handlers blocked in execSync at the same time (the shells wait for each other)', (t) => {
  t.deepEqual(run('exec').results, Array(4).fill('released'));
});

test.serial('http: a request is served while another handler is blocked in readFileSync', (t) => {
  const r = run('readfile');
  t.deepEqual(r.order, ['fifo start', 'plain', 'fifo done']);
  t.is(r.quick, 'plain');
  t.is(r.slowBody, 'from the fifo');
});

test.serial("net: 'connection' listeners of node's net.Server run in fibers and have the blocking methods", (t) => {
  const r = run('net');
  t.deepEqual(r.results, ['hello a', 'hello b', 'hello c']);
  t.is(r.methods, 'function');
});

test.serial('the greenstack CLI patches servers the same way', (t) => {
  t.deepEqual(run('fetch', { flags: [cli] }).results, Array(4).fill('read upstream ok'));
});

test.serial('GREENSTACK_SERVER_FIBERS=0 turns the fibers off: handlers run on the hub again', (t) => {
  const r = run('fetch-off', { env: { GREENSTACK_SERVER_FIBERS: '0' } });
  t.deepEqual(r.results, Array(4).fill('read failed: BlockingInHubError'));
});

test.serial('GREENSTACK_PATCH=-http (the patcher\'s module option) leaves http servers alone', (t) => {
  const r = run('fetch-off', { env: { GREENSTACK_PATCH: '-http' } });
  t.deepEqual(r.results, Array(4).fill('read failed: BlockingInHubError'));
});

test.serial("unpatchModule puts node's objects back", (t) => {
  const r = run('unpatch', { flags: [] });
  t.false(r.before);
  t.deepEqual(r.during, { emitPatched: true, socketMethods: 'function', tlsMethods: 'function', serverMethods: 'function' });
  t.deepEqual(r.after, { emitBack: true, socketMethods: false, tlsMethods: false, serverMethods: false });
  t.false(r.patched);
});
