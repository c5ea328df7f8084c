// core.observe.test.ts: observability: dumpFibers/formatFibers, tracing channels, runtimeStats, the blocking watchdog and the dump signal.
import test from 'ava';
import { onCarriers } from './helpers/backend.js';
import { spawnSync } from 'node:child_process';
import * as dc from 'node:diagnostics_channel';
import * as net from 'node:net';
import * as path from 'node:path';
import * as gscp from 'greenstack/child_process';
import * as gsnet from 'greenstack/net';
import {
  configure,
  dumpFibers,
  Event,
  Fiber,
  formatFibers,
  killAll,
  Lock,
  Queue,
  runtimeStats,
  setDumpSignal,
  sleep,
  spawn,
  wait,
  type FiberInfo,
} from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { runFixture } from './helpers/subprocess.js';
import { settle } from './helpers/toolkit.js';

checkLeaks(test);

function sleepsForAMinute(): void {
  sleep(60_000);
}

function waitsForTheLock(lock: Lock): void {
  lock.acquire();
  lock.release();
}

function takesFromQueue(q: Queue<number>): number {
  return q.get();
}

function waitsForEvent(e: Event): void {
  e.wait();
}

const byName = (list: FiberInfo[], name: string): FiberInfo => {
  const f = list.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no fiber ${name} in the dump`);
  return f;
};

test.serial('dumpFibers names the function each fiber is suspended in, without waking it', async (t) => {
  const lock = new Lock();
  const q = new Queue<number>();
  const ev = new Event();
  lock.acquire(); // the hub holds it, so the fiber below blocks
  const sleeper = new Fiber(sleepsForAMinute, { name: 'sleeper' }).start();
  const locked = new Fiber(waitsForTheLock, { name: 'locked', args: [lock] }).start();
  const taker = new Fiber(takesFromQueue, { name: 'taker', args: [q] }).start();
  const waiter = new Fiber(waitsForEvent, { name: 'waiter', args: [ev] }).start();
  await settle();
  const dump = dumpFibers();
  t.deepEqual(
    dump.map((f) => f.name),
    ['sleeper', 'locked', 'taker', 'waiter'],
  );
  for (const f of dump) t.is(f.state, 'suspended');
  t.regex(byName(dump, 'sleeper').stack.join('\n'), /sleepsForAMinute/);
  t.regex(byName(dump, 'locked').stack.join('\n'), /waitsForTheLock/);
  t.regex(byName(dump, 'taker').stack.join('\n'), /takesFromQueue/);
  t.regex(byName(dump, 'waiter').stack.join('\n'), /waitsForEvent/);
  const s = byName(dump, 'sleeper').blockedOn!;
  t.is(s.kind, 'sleep');
  t.true(s.remainingMs! > 0 && s.remainingMs! <= 60_000);
  t.is(byName(dump, 'locked').blockedOn!.kind, 'lock');
  t.is(byName(dump, 'taker').blockedOn!.kind, 'queue');
  t.is(byName(dump, 'sleeper').parentId, 0);
  // Nobody was woken: the probes left every fiber where it was, and they still work.
  await settle();
  t.is(runtimeStats().suspended, 4);
  q.put(7);
  t.is(await taker, 7);
  lock.release();
  await locked;
  ev.set();
  await waiter;
  // Suspensions after the first dump are timed.
  await settle();
  t.is(typeof byName(dumpFibers(), 'sleeper').suspendedMs, 'object'); // still the first suspension
  sleeper.kill();
  await settle();
});

function readsFromSocket(port: number): unknown {
  const sock = gsnet.connectSync(port, '127.0.0.1');
  try {
    return sock.readSync();
  } finally {
    sock.destroy();
  }
}

function runsAChild(): unknown {
  return gscp.spawnSync(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']).status;
}

test.serial('dumpFibers: blocked on a socket and on a child process', async (t) => {
  const conns: net.Socket[] = [];
  const server = net.createServer((c) => conns.push(c));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const reader = new Fiber(readsFromSocket, { name: 'reader', args: [port] }).start();
  const parent = new Fiber(runsAChild, { name: 'parent' }).start();
  while (conns.length === 0) await new Promise((r) => setTimeout(r, 5));
  await settle();
  const dump = dumpFibers();
  const r = byName(dump, 'reader');
  t.deepEqual([r.blockedOn!.kind, r.blockedOn!.what], ['socket', 'readSync()']);
  t.regex(r.stack.join('\n'), /readsFromSocket/);
  const p = byName(dump, 'parent');
  t.deepEqual([p.blockedOn!.kind, p.blockedOn!.what], ['child process', 'spawnSync()']);
  t.regex(p.stack.join('\n'), /runsAChild/);
  for (const c of conns) c.end();
  await reader;
  parent.kill();
  await parent;
});

test.serial('dumpFibers from inside a fiber: itself running, its children below it', async (t) => {
  let dump: FiberInfo[] = [];
  let text = '';
  const parent = new Fiber(
    () => {
      const kids = [1, 2].map((i) => new Fiber(sleepsForAMinute, { name: `kid-${i}` }).start());
      sleep(0);
      sleep(0);
      dump = dumpFibers();
      text = formatFibers(dump);
      killAll(kids);
    },
    { name: 'parent' },
  ).start();
  await parent;
  const me = byName(dump, 'parent');
  t.is(me.state, 'running');
  t.regex(me.stack.join('\n'), /core\.observe\.test/);
  for (const name of ['kid-1', 'kid-2']) {
    t.is(byName(dump, name).parentId, parent.id);
    t.regex(byName(dump, name).stack.join('\n'), /sleepsForAMinute/);
  }
  t.regex(text, /#\d+ parent: running/);
  t.regex(text, /├─ #\d+ kid-1: suspended in sleep\(\) \(\d+ ms left\)/);
  t.regex(text, /at sleepsForAMinute/);
});

test.serial('a ready fiber and a fiber not started yet are reported as ready', async (t) => {
  const f = spawn(() => 1);
  const dump = dumpFibers();
  t.is(dump.length, 1);
  t.is(dump[0]!.state, 'ready');
  t.deepEqual(dump[0]!.stack, []);
  t.is(await f, 1);
  t.deepEqual(dumpFibers(), []);
});

test.serial('tracing: spawn, switch, block, wake and end on diagnostics_channel', async (t) => {
  const seen: string[] = [];
  const names = ['spawn', 'switch', 'block', 'wake', 'end'];
  const handlers = names.map((n) => {
    const h = (m: unknown) => {
      const msg = m as { fiber: Fiber; into?: boolean; what?: string };
      if (msg.fiber.name !== 'traced') return;
      seen.push(n === 'switch' ? `switch-${msg.into ? 'in' : 'out'}` : n === 'block' ? `block ${msg.what}` : n);
    };
    dc.subscribe(`greenstack:${n}`, h);
    return h;
  });
  try {
    // Subscribers are noticed at the start of a hub turn.
    await new Promise((r) => setImmediate(r));
    const f = new Fiber(() => wait(Promise.resolve(1)), { name: 'traced' }).start();
    await f;
  } finally {
    names.forEach((n, i) => dc.unsubscribe(`greenstack:${n}`, handlers[i]!));
  }
  t.deepEqual(seen, ['spawn', 'switch-in', 'block wait()', 'switch-out', 'wake', 'switch-in', 'end', 'switch-out']);
  // Unsubscribed: nothing more is published.
  seen.length = 0;
  await new Fiber(() => sleep(1), { name: 'traced' }).start();
  t.deepEqual(seen, []);
});

test.serial('runtimeStats counts switches, spawns, hub turns and the ready queue', async (t) => {
  const before = runtimeStats();
  const fibers = [1, 2, 3].map(() => spawn(() => sleep(0)));
  t.is(runtimeStats().readyQueue, before.readyQueue + 3);
  await Promise.all(fibers);
  const after = runtimeStats();
  t.is(after.spawns - before.spawns, 3);
  t.true(after.switches - before.switches >= 6);
  t.true(after.hubTurns > before.hubTurns);
  t.true(after.hubBusyMs >= before.hubBusyMs);
  t.true(after.longestHubTurnMs >= before.longestHubTurnMs);
  t.is(after.readyQueue, 0);
  t.is(after.backend, onCarriers() ? 'carrier' : 'fast');
  t.is(after.monitorBlockingMs, 0);
  t.is(after.blockingReports, 0);
});

test.serial('configure({ monitorBlockingMs }) rejects bad values with typed errors', (t) => {
  t.throws(() => configure({ monitorBlockingMs: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => configure({ monitorBlockingMs: 1.5 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => configure({ monitorBlockingMs: '100' as unknown as number }), { code: 'ERR_INVALID_ARG_TYPE' });
  configure({ monitorBlockingMs: 1000 });
  t.is(runtimeStats().monitorBlockingMs, 1000);
  configure({ monitorBlockingMs: 0 });
  t.is(runtimeStats().monitorBlockingMs, 0);
});

test.serial('setDumpSignal rejects what is not a catchable signal, with typed errors', (t) => {
  t.throws(() => setDumpSignal('SIGNOPE'), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => setDumpSignal('SIGKILL'), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => setDumpSignal(12 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
  setDumpSignal('SIGUSR2');
  t.is(process.listenerCount('SIGUSR2'), 1);
  setDumpSignal(null);
  t.is(process.listenerCount('SIGUSR2'), 0);
});

// --- the watchdog and the dump signal, each in its own process

const REPORT = /greenstack: the event loop has been blocked for \d+ ms \(monitorBlockingMs 50\) by /;

test('watchdog: a fiber computing without blocking is named, with its stack', (t) => {
  const r = runFixture('observe.js', { args: ['fiber'] });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, REPORT);
  t.regex(r.stderr, /by fiber #\d+ "cruncher", at:\n(\s+at .*\n)*?\s+at crunchNumbers/);
  // Once per incident.
  t.is(r.stderr.match(/has been blocked/g)?.length, 1);
});

test('watchdog: code on the hub is reported as the hub', (t) => {
  const r = runFixture('observe.js', { args: ['hub'] });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /by the hub \(no fiber is running\), at:\n(\s+at .*\n)*?\s+at (Timeout\.)?blockTheHub/);
});

test('watchdog: a saturated loop that keeps turning (a busy server never sleeps in poll) is not reported', (t) => {
  const r = runFixture('observe.js', { args: ['busy'] });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout.trim()), { reports: 0 }, r.stderr);
});

test('watchdog: turned off at run time, and GREENSTACK_MONITOR_MS turns it on', (t) => {
  const off = runFixture('observe.js', { args: ['off'] });
  t.is(off.status, 0, off.stderr);
  t.notRegex(off.stderr, /blocked/);
  const env = runFixture('observe.js', { args: ['env'], env: { GREENSTACK_MONITOR_MS: '50' } });
  t.is(env.status, 0, env.stderr);
  t.regex(env.stderr, /by fiber #\d+ "from-env"/);
  const bad = runFixture('observe.js', { args: ['env'], env: { GREENSTACK_MONITOR_MS: 'soon' } });
  t.is(bad.status, 0, bad.stderr);
  t.regex(bad.stderr, /GREENSTACK_MONITOR_MS=soon ignored/);
});

test('watchdog: a patched *Sync call on the hub is reported once per call site', (t) => {
  const r = runFixture('observe.js', { args: ['sync'] });
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr.match(/readFileSync\(\) ran on the hub/g)?.length, 1, r.stderr);
  t.regex(r.stderr, /at readConfig/);
});

test('watchdog: in a worker thread, for the worker\'s own loop', (t) => {
  const r = runFixture('observe.js', { args: ['worker-fiber'] });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /by fiber #\d+ "worker-cruncher", at:\n(\s+at .*\n)*?\s+at crunchNumbers/);
});

test('watchdog: a worker blocked in a fiber with the watchdog on can be terminated', (t) => {
  const r = runFixture('observe.js', { args: ['worker-terminate'] });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { code: 1 });
});

test('dumpFibers in a worker thread', (t) => {
  const r = runFixture('observe.js', { args: ['worker-dump'] });
  t.is(r.status, 0, r.stderr);
  const dump = JSON.parse(r.stdout) as FiberInfo[];
  t.is(dump.length, 1);
  t.is(dump[0]!.name, 'sleepy');
  t.regex(dump[0]!.stack.join('\n'), /sleepyWorker/);
});

test('GREENSTACK_DUMP_SIGNAL prints the dump and the program goes on', (t) => {
  const r = runFixture('observe.js', { args: ['signal'], env: { GREENSTACK_DUMP_SIGNAL: 'SIGUSR2' } });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /greenstack: 1 live fiber/);
  t.regex(r.stderr, /└─ #\d+ sleepy: suspended in sleep\(\) \(\d+ ms left\) for \d+ ms\n\s+at sleepyWorker/);
  t.regex(r.stdout, /still running/);
});

test('examples/fiber-profile.js prints a time profile per fiber', (t) => {
  const example = path.join(__dirname, '..', 'examples', 'fiber-profile.js');
  const r = spawnSync(process.execPath, [example], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^fiber +parent +switches +running ms/m);
  for (const name of ['main', 'compute', 'idle', 'hash-files']) t.regex(r.stdout, new RegExp(`^${name} +(hub|main) +\\d+ +[\\d.]+ +[\\d.]+ +\\d+%$`, 'm'));
});
