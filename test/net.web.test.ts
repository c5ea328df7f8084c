// net.web.test.ts: unmodified Express, Fastify and Koa apps (test/fixtures/web) under the greenstack CLI and node -r greenstack/patch: static files, JSON, an ejs view, JSON bodies, concurrent load without a wrong response, blocking handlers that overlap.
import test from 'ava';
import { checkLeaks } from './helpers/leaks.js';
import { describe, load } from './helpers/load.js';
import { overlap, request, startApp, type Mode } from './helpers/web.js';

checkLeaks(test);

const modes: Mode[] = ['cli', 'preload'];
// Requests that block at once; plain node would see one handler at a time.
const N = 20;
const MIN_PEAK = 5;

for (const mode of modes) {
  test.serial(`express (${mode}): static, json, ejs view, JSON body; load; blocking handlers overlap`, async (t) => {
    const app = await startApp(mode, 'express-app.js');
    t.teardown(() => app.stop());
    const file = await request(`${app.url}/static/hello.txt`);
    t.is(file.status, 200);
    t.is(file.body, 'hello static\n');
    t.deepEqual(JSON.parse((await request(`${app.url}/api/json`)).body), { ok: true, framework: 'express' });
    const view = await request(`${app.url}/view?name=fiber`);
    t.is(view.status, 200);
    t.regex(view.body, /<h1>Hello fiber<\/h1>\n<ul><li>1<\/li><li>2<\/li><li>3<\/li><\/ul>/);
    const echo = await request(`${app.url}/api/echo`, { json: { numbers: [1, 2, 3] } });
    t.deepEqual(JSON.parse(echo.body), { sum: 6, echo: { numbers: [1, 2, 3] } });

    for (const [route, amount, expectBody] of [
      ['/api/json', 300, '{"ok":true,"framework":"express"}'],
      ['/static/hello.txt', 200, 'hello static\n'],
      ['/view?name=load', 200, undefined],
    ] as const) {
      const r = await load(`${app.url}${route}`, { amount, connections: 10, expectBody });
      t.is(r['2xx'], amount, `${route}: ${describe(r)}`);
      t.is(r.non2xx + r.errors + r.timeouts + r.mismatches, 0, `${route}: ${describe(r)}`);
    }
    const body = JSON.stringify({ numbers: [4, 5] });
    const posts = await load(`${app.url}/api/echo`, {
      amount: 200,
      connections: 10,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      expectBody: JSON.stringify({ sum: 9, echo: { numbers: [4, 5] } }),
    });
    t.is(posts['2xx'], 200, describe(posts));
    t.is(posts.non2xx + posts.errors + posts.timeouts + posts.mismatches, 0, describe(posts));

    const { peak, replies } = await overlap(app, N, '/block');
    t.true(replies.every((r) => r.status === 200), app.stderr());
    t.true(peak >= MIN_PEAK, `peak ${peak} of ${N} handlers in execSync at once`);
  });

  test.serial(`fastify (${mode}): json, JSON body; load; blocking handlers overlap`, async (t) => {
    const app = await startApp(mode, 'fastify-app.js');
    t.teardown(() => app.stop());
    t.deepEqual(JSON.parse((await request(`${app.url}/api/json`)).body), { ok: true, framework: 'fastify' });
    const echo = await request(`${app.url}/api/echo`, { json: { numbers: [1, 2, 3] } });
    t.deepEqual(JSON.parse(echo.body), { sum: 6, echo: { numbers: [1, 2, 3] } });
    const gets = await load(`${app.url}/api/json`, { amount: 300, connections: 10, expectBody: '{"ok":true,"framework":"fastify"}' });
    t.is(gets['2xx'], 300, describe(gets));
    t.is(gets.non2xx + gets.errors + gets.timeouts + gets.mismatches, 0, describe(gets));
    const posts = await load(`${app.url}/api/echo`, {
      amount: 300,
      connections: 10,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ numbers: [4, 5] }),
      expectBody: JSON.stringify({ sum: 9, echo: { numbers: [4, 5] } }),
    });
    t.is(posts['2xx'], 300, describe(posts));
    t.is(posts.non2xx + posts.errors + posts.timeouts + posts.mismatches, 0, describe(posts));
    const { peak, replies } = await overlap(app, N, '/block');
    t.true(replies.every((r) => r.status === 200), app.stderr());
    t.true(peak >= MIN_PEAK, `peak ${peak} of ${N} handlers in execSync at once`);
  });

  test.serial(`koa (${mode}): router, json, JSON body (bodyparser); load; blocking handlers overlap`, async (t) => {
    const app = await startApp(mode, 'koa-app.js');
    t.teardown(() => app.stop());
    const json = await request(`${app.url}/api/json`);
    t.deepEqual(JSON.parse(json.body), { ok: true, framework: 'koa' });
    t.is(json.headers['x-handled-by'], 'koa');
    const echo = await request(`${app.url}/api/echo`, { json: { numbers: [1, 2, 3] } });
    t.deepEqual(JSON.parse(echo.body), { sum: 6, echo: { numbers: [1, 2, 3] } });
    t.is((await request(`${app.url}/nowhere`)).status, 404);
    const gets = await load(`${app.url}/api/json`, { amount: 300, connections: 10, expectBody: '{"ok":true,"framework":"koa"}' });
    t.is(gets['2xx'], 300, describe(gets));
    t.is(gets.non2xx + gets.errors + gets.timeouts + gets.mismatches, 0, describe(gets));
    const posts = await load(`${app.url}/api/echo`, {
      amount: 300,
      connections: 10,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ numbers: [4, 5] }),
      expectBody: JSON.stringify({ sum: 9, echo: { numbers: [4, 5] } }),
    });
    t.is(posts['2xx'], 300, describe(posts));
    t.is(posts.non2xx + posts.errors + posts.timeouts + posts.mismatches, 0, describe(posts));
    const { peak, replies } = await overlap(app, N, '/block');
    t.true(replies.every((r) => r.status === 200), app.stderr());
    t.true(peak >= MIN_PEAK, `peak ${peak} of ${N} handlers in execSync at once`);
  });
}
