// net.idle.test.ts: 10,000 idle connections, each held by its own fiber parked in readSync (10k sockets + 10k carriers in this process; the clients in a child).
import test from 'ava';
import { spawn as spawnProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'greenstack';
import * as gnet from 'greenstack/net';
import { runtimeStats } from '../dist/core/internal.js';
import { checkLeaks } from './helpers/leaks.js';
import { until } from './helpers/net.js';

checkLeaks(test);

const N = 10_000;

function fdLimit(): number {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3] ?? 0);
}

test.serial('10k idle connections held by 10k fibers, then all released', async (t) => {
  t.timeout(110_000);
  const fds = fs.readdirSync('/proc/self/fd').length;
  t.true(fdLimit() >= N + fds + 100, `needs ulimit -n >= ${N + fds + 100} (is ${fdLimit()})`);
  let served = 0;
  const server = new gnet.StreamServer((sock) => {
    const line = sock.readLineSync({ encoding: 'utf8' }); // parked until the client speaks
    if (line === 'bye') served++;
  });
  await spawn(() => server.start({ port: 0, host: '127.0.0.1', backlog: 1024 }));
  const port = (server.address() as { port: number }).port;
  const child = spawnProcess(process.execPath, [path.join(__dirname, '..', 'test', 'fixtures', 'net-idle-client.js'), String(port), String(N)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await until(() => out.includes(`connected ${N}`) || child.exitCode !== null, 90_000, 'the clients to connect');
    await until(() => server.connections === N && runtimeStats().suspended >= N, 30_000, 'every handler to park');
    const stats = runtimeStats();
    t.true(stats.carriers >= N, `${stats.carriers} carrier threads`);
    t.log(`${N} connections: ${stats.carriers} carriers, rss ${Math.round(process.memoryUsage().rss / 1048576)} MiB`);
    child.stdin!.write('send\n');
    t.is(await exited, 0);
    await until(() => server.connections === 0, 30_000, 'every handler to finish');
    t.is(served, N);
  } finally {
    child.kill();
    await spawn(() => server.stop({ timeout: 100 }));
  }
});
