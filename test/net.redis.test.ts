// net.redis.test.ts: examples/redis-client.js (blocking style on greenstack/net) against a real redis-server started on a free 127.0.0.1 port.
import test from 'ava';
import { spawn as spawnProcess, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { FiberExit, joinAll, sleep, spawn, TimeoutError } from 'greenstack';
import { checkLeaks } from './helpers/leaks.js';
import { freePort, until } from './helpers/net.js';

checkLeaks(test);

interface Client {
  call(...args: unknown[]): unknown;
  pipeline(commands: unknown[][]): unknown[];
  ping(message?: string): unknown;
  get(key: string): unknown;
  set(key: string, value: unknown, ...options: unknown[]): unknown;
  del(...keys: string[]): unknown;
  incr(key: string): unknown;
  quit(): void;
  close(): void;
  sock: import('greenstack/net').Socket;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const example = require(path.join(__dirname, '..', 'examples', 'redis-client.js')) as {
  RedisClient: new (port: number, host?: string, options?: { buffers?: boolean; timeout?: number }) => Client;
  RedisError: new (message: string) => Error & { code: string };
};
const { RedisClient, RedisError } = example;

// A system server this suite cannot provide: without it the tests are registered as skipped
// and the reason is printed (.ci/run installs redis-server, so CI runs them).
const haveRedis = spawnSync('redis-server', ['--version']).error === undefined;
if (!haveRedis) console.log('net.redis: redis-server is not installed (apt-get install redis-server): skipping');
const serial = haveRedis ? test.serial : test.serial.skip;

let redis: ChildProcess | undefined;
let port = 0;
let stderr = '';

test.before(async () => {
  if (!haveRedis) return;
  port = await freePort();
  redis = spawnProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  redis.stderr!.on('data', (d) => (stderr += d));
  // Ready when it accepts a PING.
  await until(
    () => {
      const r = spawnSync(process.execPath, ['-e', `require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`]);
      return r.status === 0 || redis!.exitCode !== null;
    },
    10_000,
    'redis-server to start',
  );
  if (redis.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`);
});

test.after.always(() => {
  redis?.kill('SIGKILL');
});

serial('PING, SET/GET (text and binary), missing keys, INCR', async (t) => {
  await spawn(() => {
    const r = new RedisClient(port);
    try {
      t.is(r.ping(), 'PONG');
      t.is(r.ping('hi'), 'hi');
      t.is(r.set('k', 'v1'), 'OK');
      t.is(r.get('k'), 'v1');
      t.is(r.get('missing'), null);
      t.is(r.incr('n'), 1);
      t.is(r.incr('n'), 2);
      const big = 'x'.repeat(100_000); // a bulk reply far beyond one socket read
      r.set('big', big);
      t.is(r.get('big'), big);
      t.is(r.del('k', 'n', 'big'), 3);
    } finally {
      r.quit();
    }
    const rb = new RedisClient(port, '127.0.0.1', { buffers: true });
    const bin = Buffer.from([0, 13, 10, 255, 36, 42]);
    rb.set('bin', bin);
    t.deepEqual(rb.get('bin'), bin);
    rb.del('bin');
    rb.quit();
  });
});

serial('pipelining: 1000 commands in one write, replies in order; error replies in place', async (t) => {
  await spawn(() => {
    const r = new RedisClient(port);
    try {
      const cmds: unknown[][] = [['DEL', 'p']];
      for (let i = 0; i < 998; i++) cmds.push(['INCR', 'p']);
      cmds.push(['GET', 'p']);
      const replies = r.pipeline(cmds);
      t.is(replies.length, 1000);
      t.is(replies[1], 1);
      t.is(replies[998], 998);
      t.is(replies[999], '998');
      const mixed = r.pipeline([['SET', 's', 'text'], ['INCR', 's'], ['NOSUCH'], ['GET', 's'], ['LRANGE', 'nolist', 0, -1]]);
      t.is(mixed[0], 'OK');
      t.true(mixed[1] instanceof RedisError);
      t.is((mixed[1] as { code: string }).code, 'ERR');
      t.true(mixed[2] instanceof RedisError);
      t.is(mixed[3], 'text');
      t.deepEqual(mixed[4], []);
      r.del('p', 's');
    } finally {
      r.quit();
    }
  });
});

serial('error replies are thrown as RedisError; the connection stays in sync', async (t) => {
  await spawn(() => {
    const r = new RedisClient(port);
    try {
      r.set('str', 'abc');
      const e1 = t.throws(() => r.call('LPUSH', 'str', 'x'));
      t.is((e1 as { code?: string }).code, 'WRONGTYPE');
      t.throws(() => r.call('NOSUCHCOMMAND'), { instanceOf: RedisError, message: /unknown command/ });
      t.is(r.get('str'), 'abc');
      r.del('str');
    } finally {
      r.quit();
    }
  });
});

serial('20 fibers with their own connections: INCR from all at once adds up', async (t) => {
  await spawn(() => {
    const r = new RedisClient(port);
    r.set('counter', 0);
    const workers = Array.from({ length: 20 }, () =>
      spawn(() => {
        const c = new RedisClient(port);
        try {
          for (let i = 0; i < 50; i++) c.incr('counter');
        } finally {
          c.quit();
        }
      }),
    );
    joinAll(workers, { raiseError: true });
    t.is(r.get('counter'), '1000');
    r.del('counter');
    r.quit();
  });
});

serial('a fiber blocked in BLPOP: read timeout and kill leave nothing behind', async (t) => {
  await spawn(() => {
    const r = new RedisClient(port);
    r.sock.setTimeout(50); // the socket's idle timeout applies to its blocking reads
    t.throws(() => r.call('BLPOP', 'nolist', 0), { instanceOf: TimeoutError });
    r.close(); // a reply is still owed on this connection: drop it
    const c = new RedisClient(port);
    const f = spawn(() => c.call('BLPOP', 'nolist', 0));
    sleep(30);
    f.kill();
    t.true((f.value as unknown) instanceof FiberExit);
    c.close();
  });
});
