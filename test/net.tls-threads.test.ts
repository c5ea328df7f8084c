// net.tls-threads.test.ts: TLS contexts made from fibers and the hub (Node 24 keeps per-thread state there), on both backends.
import * as tls from 'node:tls';
import { AsyncLocalStorage } from 'node:async_hooks';
import test from 'ava';
import { spawn } from 'greenstack';
import { runFixture } from './helpers/subprocess.js';

for (const backend of ['carrier', 'fast']) {
  for (const mode of ['plain', 'patch']) {
    test(`${backend}, ${mode}: contexts with default CAs and \`ca\` from fibers on two threads and the hub, https.get: no abort`, (t) => {
      const r = runFixture('tls-threads.js', { args: [mode], env: { GREENSTACK_BACKEND: backend } });
      t.is(r.signal, null, r.stderr);
      t.is(r.status, 0, r.stderr);
      t.regex(r.stdout, /got hello hello/);
    });
  }
}

test('tls.createSecureContext() in a fiber is a plain call: no microtask, immediate or other fiber runs during it', async (t) => {
  const ran: string[] = [];
  await spawn(() => {
    void Promise.resolve().then(() => ran.push('microtask'));
    setImmediate(() => ran.push('immediate'));
    spawn(() => ran.push('fiber'));
    tls.createSecureContext();
    ran.push('returned');
  });
  t.is(ran[0], 'returned');
});

test('tls.createSecureContext() in a fiber: its option getters see the fiber\'s context, and node\'s error is thrown in the fiber', async (t) => {
  const als = new AsyncLocalStorage<string>();
  const seen = await spawn(() =>
    als.run('fiber', () => {
      let store: string | undefined;
      tls.createSecureContext({
        get ciphers() {
          store = als.getStore();
          return undefined;
        },
      });
      return store;
    }),
  );
  t.is(seen, 'fiber');
  await t.throwsAsync(async () => spawn(() => tls.createSecureContext({ ciphers: 42 as unknown as string })), { code: 'ERR_INVALID_ARG_TYPE' });
});
