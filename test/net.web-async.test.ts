// net.web-async.test.ts: framework handlers reached through async middleware (Express static's stat callback and express.json, Fastify's body parsing, Koa's bodyparser) block only their request (needs issue 16.1: work that continues a request stays in a fiber); and concurrent first requests of a cold app.
import test from 'ava';
import { checkLeaks } from './helpers/leaks.js';
import { overlap, request, startApp, type Mode } from './helpers/web.js';

checkLeaks(test);

const modes: Mode[] = ['cli', 'preload'];
// Requests that block at once; a handler run on the hub would see one at a time.
const N = 20;
const MIN_PEAK = 5;

const cases: Array<{ app: string; route: string; via: string; json?: unknown }> = [
  { app: 'express-app.js', route: '/late/block', via: "express.static's stat callback calling next()" },
  { app: 'express-app.js', route: '/late/block-json', via: 'express.json() reading the body', json: { numbers: [2, 3] } },
  { app: 'fastify-app.js', route: '/late/block-json', via: "Fastify's JSON body parser", json: { numbers: [2, 3] } },
];

for (const mode of modes) {
  for (const { app: file, route, via, json } of cases) {
    test.serial(`${file.replace('-app.js', '')} (${mode}): a handler reached through ${via} blocks only its request`, async (t) => {
      const app = await startApp(mode, file);
      t.teardown(() => app.stop());
      // One request first: modules the route loads lazily (iconv-lite's encodings) are then
      // loaded; concurrent first requests are another matter (two fibers in one require()).
      t.is((await request(`${app.url}${route}`, json === undefined ? {} : { json })).status, 200);
      const { peak, replies } = await overlap(app, N, route, json);
      for (const r of replies) {
        t.is(r.status, 200, `${r.body}\n${app.stderr()}`);
        const body = JSON.parse(r.body) as { slept: number; sum?: number };
        t.is(body.slept, 0.1);
        if (json !== undefined) t.is(body.sum, 5);
      }
      t.true(peak >= MIN_PEAK, `peak ${peak} of ${N} handlers in execSync at once`);
    });
  }
}

// Koa's middleware is async: the handler runs after an `await` (@koa/bodyparser's), a
// promise continuation, which no public API can move into a fiber (docs/patch-mode.md).
// Its blocking call runs node's own sync function on the hub: the answers are right,
// one at a time, and greenstack says so once, naming the handler's line.
for (const mode of modes) {
  test.serial(`koa (${mode}): a handler after an await runs on the hub; its blocking call is reported once, answers stay right`, async (t) => {
    const app = await startApp(mode, 'koa-app.js');
    t.teardown(() => app.stop());
    const json = { numbers: [2, 3] };
    t.is((await request(`${app.url}/late/block-json`, { json })).status, 200);
    const { peak, replies } = await overlap(app, 4, '/late/block-json', json);
    for (const r of replies) {
      t.is(r.status, 200, `${r.body}\n${app.stderr()}`);
      t.is((JSON.parse(r.body) as { sum?: number }).sum, 5);
    }
    t.is(peak, 1);
    t.is(app.stderr().match(/\[GREENSTACK_BLOCKING_ON_HUB\]/g)?.length, 1, app.stderr());
    t.regex(app.stderr(), /execSync\(\) ran on the hub[^]*koa-app\.js/);
  });
}

// Not 16.1: the first requests of a fresh app, all at once. express.json and @koa/bodyparser
// load iconv-lite's encodings lazily with require(); with fs patched, the loader's reads park
// the first fiber and the others see a half-loaded module ("unsupported charset", 415).
for (const mode of modes) {
  for (const file of ['express-app.js', 'koa-app.js']) {
    test.serial(`${file.replace('-app.js', '')} (${mode}): concurrent first requests with a JSON body all succeed (a cold start)`, async (t) => {
      const app = await startApp(mode, file);
      t.teardown(() => app.stop());
      const replies = await Promise.all(Array.from({ length: 5 }, () => request(`${app.url}/api/echo`, { json: { numbers: [1, 2] } })));
      for (const r of replies) t.is(r.status, 200, r.body.slice(0, 300));
    });
  }
}
