// net.wrk.test.ts: the blocking-style HTTP server example under a real load generator (wrk, 1 s, 10 connections): every request answered, none failed.
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import type * as http from 'node:http';
import * as path from 'node:path';
import { checkLeaks } from './helpers/leaks.js';
import { delay, until } from './helpers/net.js';

checkLeaks(test);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const example = require(path.join(__dirname, '..', 'examples', 'http-server.js')) as { createServer(): http.Server };

function wrk(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('wrk', args, { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
}

test.serial('wrk -c10 -d1s against the blocking example server: all requests answered 200', async (t) => {
  if (spawnSync('wrk', ['--version']).error !== undefined) {
    t.fail('wrk is not installed (apt-get install wrk; .ci/run installs it)');
    return;
  }
  const server = example.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  // Runs first in each request's fiber: how many /slow requests are inside their handler at once.
  let inFlight = 0;
  let peak = 0;
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url !== '/slow') return;
    peak = Math.max(peak, ++inFlight);
    res.on('close', () => inFlight--);
  });
  try {
    for (const route of ['/', '/slow']) {
      const out = await wrk(['-t1', '-c10', '-d1s', '--timeout', '5s', `http://127.0.0.1:${port}${route}`]);
      const done = /(\d+) requests in/.exec(out);
      t.truthy(done, out);
      t.true(Number(done![1]) > 0, out);
      t.false(/Non-2xx or 3xx responses/.test(out), out);
      t.false(/Socket errors/.test(out), out);
      t.log(`${route}: ${/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]} req/s`);
    }
    t.true(peak > 1, `peak ${peak}: /slow requests overlapped`);
  } finally {
    await until(() => inFlight === 0, 5000, 'the last /slow handlers'); // wrk hangs up on them mid-sleep
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
    await delay(20);
  }
});
