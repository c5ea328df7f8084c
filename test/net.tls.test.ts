// net.tls.test.ts: greenstack/tls: connectSync after the handshake, handshake failures (untrusted cert, wrong name, no answer), TLS StreamServer, tls Server fibers and acceptSync.
import test from 'ava';
import * as nodeNet from 'node:net';
import * as nodeTls from 'node:tls';
import { FiberExit, sleep, spawn, TimeoutError } from 'greenstack';
import * as gnet from 'greenstack/net';
import * as gtls from 'greenstack/tls';
import { selfSigned } from './helpers/cert.js';
import { checkLeaks } from './helpers/leaks.js';
import { closeServer } from './helpers/net.js';

checkLeaks(test);

const { key, cert } = selfSigned();
const port = (s: { address(): unknown }) => (s.address() as nodeNet.AddressInfo).port;

function echoLines(sock: gnet.SocketMethods): void {
  let line: string | null;
  while ((line = sock.readLineSync({ encoding: 'utf8' })) !== null) sock.writeSync(`tls ${line}\n`);
}

test.serial('connectSync returns after the handshake; blocking reads and writes over TLS', async (t) => {
  const server = new gnet.StreamServer((sock) => echoLines(sock), { tls: { key, cert } });
  t.teardown(() => closeServer(server));
  await spawn(() => {
    server.start(0, '127.0.0.1');
    const c = gtls.connectSync(port(server), '127.0.0.1', { ca: cert });
    try {
      t.true(c instanceof nodeTls.TLSSocket);
      t.is(typeof c.readExactlySync, 'function');
      t.true(c.authorized);
      t.is(c.getProtocol()?.startsWith('TLS'), true);
      for (const word of ['one', 'two']) {
        c.writeSync(`${word}\n`);
        t.is(c.readLineSync({ encoding: 'utf8' }), `tls ${word}`);
      }
      const big = Buffer.alloc(60_000, 0x62); // above the 16 KiB high-water mark, below the server's maxLength
      c.writeSync(big);
      c.writeSync('\n');
      t.is(c.readLineSync({ maxLength: 100_000 })!.length, 4 + 60_000);
      c.endSync();
      t.is(c.readSync(), null);
    } finally {
      c.destroy();
      server.stop();
    }
  });
});

test.serial('handshake failure: an untrusted certificate or a wrong name throws; a non-TLS client is reported; the server goes on', async (t) => {
  const errors: unknown[] = [];
  const server = new gnet.StreamServer((sock) => echoLines(sock), { tls: { key, cert }, onError: (e) => errors.push(e) });
  t.teardown(() => closeServer(server));
  await spawn(() => {
    server.start(0, '127.0.0.1');
    const p = port(server);
    try {
      const untrusted = t.throws(() => gtls.connectSync(p, '127.0.0.1'));
      t.is((untrusted as NodeJS.ErrnoException).code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      const wrongName = t.throws(() => gtls.connectSync({ port: p, host: '127.0.0.1', ca: cert, servername: 'example.com' }));
      t.is((wrongName as NodeJS.ErrnoException).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      // The server's side of a failed handshake: a client speaking plain HTTP.
      const plain = gnet.connectSync(p, '127.0.0.1');
      plain.writeSync('GET / HTTP/1.0\r\n\r\n');
      t.is(plain.readSync(), null, 'the server dropped it');
      plain.destroy();
      // (polled: the server reports the failures on its own time)
      for (let i = 0; i < 1000 && errors.length < 3; i++) sleep(5);
      // Reported: the plain client, and the two that dropped the handshake (ECONNRESET).
      t.deepEqual(errors.map((e) => (e as NodeJS.ErrnoException).code).sort(), ['ECONNRESET', 'ECONNRESET', 'ERR_SSL_HTTP_REQUEST']);
      const ok = gtls.connectSync({ port: p, host: '127.0.0.1', ca: cert, servername: 'localhost' });
      ok.writeSync('still serving\n');
      t.is(ok.readLineSync({ encoding: 'utf8' }), 'tls still serving');
      ok.destroy();
    } finally {
      server.stop();
    }
  });
});

test.serial('a peer that never answers the handshake: TimeoutError; kill while in the handshake; nothing leaks', async (t) => {
  const held: nodeNet.Socket[] = [];
  const silent = nodeNet.createServer((s) => void held.push(s)); // accepts, never speaks TLS
  t.teardown(() => closeServer(silent));
  await spawn(() => {
    gnet.listenSync(silent, 0, '127.0.0.1');
    const err = t.throws(() => gtls.connectSync(port(silent), '127.0.0.1', { ca: cert, timeout: 50 }), { instanceOf: TimeoutError });
    t.is(err!.code, 'ERR_GREENSTACK_TIMEOUT');
    const f = spawn(() => gtls.connectSync(port(silent), '127.0.0.1', { ca: cert }));
    sleep(30);
    f.kill();
    t.true((f.value as unknown) instanceof FiberExit);
    for (const s of held) s.destroy();
    silent.close();
  });
});

test.serial("greenstack/tls Server: 'secureConnection' listeners run in fibers; acceptSync gets handshaken sockets", async (t) => {
  const server = gtls.createServer({ key, cert }, (sock) => echoLines(sock));
  t.teardown(() => closeServer(server));
  const acceptor = gtls.createServer({ key, cert });
  t.teardown(() => closeServer(acceptor));
  await spawn(() => {
    server.listenSync(0, '127.0.0.1');
    acceptor.listenSync(0, '127.0.0.1');
    const clients = ['a', 'b'].map((w) =>
      spawn(() => {
        const c = gtls.connectSync(port(server), '127.0.0.1', { ca: cert });
        c.writeSync(`${w}\n`);
        const line = c.readLineSync({ encoding: 'utf8' });
        c.destroy();
        return line;
      }),
    );
    t.deepEqual(
      clients.map((c) => c.get()),
      ['tls a', 'tls b'],
    );
    const client = spawn(() => gtls.connectSync(port(acceptor), '127.0.0.1', { ca: cert }));
    const s = acceptor.acceptSync({ timeout: 5000 });
    t.true(s.encrypted);
    const c = client.get();
    c.writeSync('over tls');
    t.is(s.readExactlySync(8).toString(), 'over tls');
    s.destroy();
    c.destroy();
    server.close();
    acceptor.close();
  });
});
