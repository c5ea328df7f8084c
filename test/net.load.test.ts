// net.load.test.ts: the blocking-style HTTP server example under a load generator (autocannon, a few hundred requests, 10 connections): every request answered, none failed.
import test from 'ava';
import { once } from 'node:events';
import type * as http from 'node:http';
import * as path from 'node:path';
import { checkLeaks } from './helpers/leaks.js';
import { describe, load } from './helpers/load.js';
import { until } from './helpers/net.js';

checkLeaks(test);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const example = require(path.join(__dirname, '..', 'examples', 'http-server.js')) as { createServer(): http.Server };

test.serial('autocannon -c10 against the blocking example server: all requests answered 200, /slow handlers overlap', async (t) => {
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
    for (const [route, amount] of [['/', 400], ['/slow', 40]] as const) {
      const r = await load(`http://127.0.0.1:${port}${route}`, { amount, connections: 10 });
      t.is(r['2xx'], amount, describe(r));
      t.is(r.non2xx + r.errors + r.timeouts, 0, describe(r));
      t.log(`${route}: ${describe(r)}`);
    }
    t.true(peak > 1, `peak ${peak}: /slow requests overlapped`);
  } finally {
    await until(() => inFlight === 0, 5000, 'the last /slow handlers');
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
});
