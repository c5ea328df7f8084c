// net.server.test.ts: connectSync, listenSync, acceptSync, StreamServer (pool, maxConnections, stop, contained errors) and greenstack's net/http Server classes.
import test from 'ava';
import { once } from 'node:events';
import * as nodeHttp from 'node:http';
import * as nodeNet from 'node:net';
import { BlockingInHubError, Event, FiberExit, Pool, sleep, SocketClosedError, spawn, TimeoutError, wait } from 'greenstack';
import * as ghttp from 'greenstack/http';
import * as gnet from 'greenstack/net';
import { checkLeaks } from './helpers/leaks.js';
import { closeServer, freePort, until } from './helpers/net.js';

checkLeaks(test);

const port = (s: { address(): unknown }) => (s.address() as nodeNet.AddressInfo).port;

test.serial('connectSync: connected socket, or ECONNREFUSED; kill and abort while connecting leak nothing', async (t) => {
  const closed = await freePort();
  await spawn(() => {
    const err = t.throws(() => gnet.connectSync(closed, '127.0.0.1'), { code: 'ECONNREFUSED' });
    t.true(err!.stack!.includes('net.server.test'), 'the error carries the caller stack');
    const server = gnet.listenSync(
      nodeNet.createServer((s) => s.destroy()),
      0,
      '127.0.0.1',
    );
    t.teardown(() => closeServer(server));
    try {
      const s1 = gnet.connectSync(port(server), '127.0.0.1');
      t.true(s1 instanceof gnet.Socket);
      t.false(s1.connecting);
      s1.destroy();
      const s2 = gnet.connectSync({ port: port(server), host: '127.0.0.1', timeout: 5000 });
      t.is(s2.remotePort, port(server));
      s2.destroy();
      t.throws(() => gnet.connectSync(port(server), { host: '127.0.0.1', signal: AbortSignal.abort(new Error('no')) }), { message: 'no' });
      const f = spawn(() => gnet.connectSync(port(server), '127.0.0.1'));
      f.kill(); // before it ran: nothing started
      const g = spawn(() => gnet.connectSync(port(server), 'localhost'));
      sleep(0);
      g.kill();
      t.true(g.dead);
    } finally {
      server.close();
    }
  });
});

test.serial('listenSync throws EADDRINUSE; acceptSync serves waiting fibers in order, times out, and stops at close()', async (t) => {
  await spawn(() => {
    const server = gnet.createServer();
    t.teardown(() => closeServer(server));
    server.listenSync(0, '127.0.0.1');
    const other = nodeNet.createServer();
    t.throws(() => gnet.listenSync(other, port(server), '127.0.0.1'), { code: 'EADDRINUSE' });
    t.throws(() => server.acceptSync({ timeout: 20 }), { instanceOf: TimeoutError });
    t.throws(() => server.acceptSync({ timeout: 0 }), { instanceOf: TimeoutError });
    const order: number[] = [];
    const acceptors = [1, 2].map((i) =>
      spawn(() => {
        const s = server.acceptSync();
        order.push(i);
        s.writeSync(`you are ${i}\n`);
        s.endSync();
        s.destroy();
      }),
    );
    for (const i of [1, 2]) {
      const c = gnet.connectSync(port(server), '127.0.0.1');
      t.is(c.readLineSync({ encoding: 'utf8' }), `you are ${i}`);
      c.destroy();
    }
    for (const a of acceptors) a.join();
    t.deepEqual(order, [1, 2]);
    // A connection nobody accepted is closed with the server; waiting acceptors fail.
    const unaccepted = gnet.connectSync(port(server), '127.0.0.1');
    sleep(20);
    t.is(server.acceptSync().remotePort, unaccepted.localPort, 'queued until taken');
    const queued = gnet.connectSync(port(server), '127.0.0.1');
    sleep(20);
    server.close();
    t.is(queued.readSync(), null, 'the peer saw the close');
    const waiting = spawn(() => server.acceptSync());
    t.throws(() => waiting.get(), { instanceOf: SocketClosedError });
    unaccepted.destroy();
    queued.destroy();
  });
});

test.serial('acceptSync: a fiber killed while waiting loses no connection', async (t) => {
  await spawn(() => {
    const server = gnet.listenSync(nodeNet.createServer(), 0, '127.0.0.1');
    t.teardown(() => closeServer(server));
    const first = spawn(() => gnet.acceptSync(server));
    sleep(10);
    first.kill();
    const c = gnet.connectSync(port(server), '127.0.0.1');
    const s = gnet.acceptSync(server, { timeout: 2000 });
    s.writeSync('ok');
    t.is(c.readSync()!.toString(), 'ok');
    c.destroy();
    s.destroy();
    server.close();
  });
});

/** Blocks the fiber until the server has accepted n connections at the OS level. */
function waitAccepted(server: nodeNet.Server, n: number): void {
  const count = () => wait(new Promise<number>((resolve, reject) => server.getConnections((e, c) => (e ? reject(e) : resolve(c)))));
  while (count() < n) sleep(1);
}

test.serial('acceptSync returns connections that arrived before the first acceptSync (listenSync, listen(), node servers)', async (t) => {
  await spawn(() => {
    const servers: Array<[string, nodeNet.Server, (s: nodeNet.Server) => void]> = [
      ['greenstack Server + listenSync', gnet.createServer(), (s) => gnet.listenSync(s, 0, '127.0.0.1')],
      ['node server + listenSync', nodeNet.createServer(), (s) => gnet.listenSync(s, 0, '127.0.0.1')],
      ['greenstack Server + listen()', gnet.createServer(), (s) => {
        s.listen(0, '127.0.0.1');
        wait(once(s, 'listening'));
      }],
    ];
    for (const [what, server, listen] of servers) {
      listen(server);
      const early = [gnet.connectSync(port(server), '127.0.0.1'), gnet.connectSync(port(server), '127.0.0.1')];
      waitAccepted(server, 2);
      for (const c of early) {
        const s = gnet.acceptSync(server, { timeout: 5000 });
        t.is(s.remotePort, c.localPort, what);
        s.destroy();
      }
      server.close();
      for (const c of early) c.destroy();
    }
  });
});

test.serial('connections queued before any acceptSync go to a connection listener added later, in a fiber', async (t) => {
  await spawn(() => {
    const server = gnet.createServer();
    server.listenSync(0, '127.0.0.1');
    const c = gnet.connectSync(port(server), '127.0.0.1');
    waitAccepted(server, 1);
    const got = new Event();
    server.on('connection', (s: gnet.GreenSocket) => {
      s.writeSync('hello from a listener fiber');
      s.endSync();
      got.set();
    });
    got.wait({ timeout: 5000 });
    t.is(c.readSync()!.toString(), 'hello from a listener fiber');
    c.destroy();
    server.close();
  });
});

/** Runs a client in a fiber: send each line, read one line back for each. */
function talk(p: number, lines: string[]): string[] {
  const c = gnet.connectSync(p, '127.0.0.1');
  try {
    const out: string[] = [];
    for (const line of lines) {
      c.writeSync(`${line}\n`);
      out.push(c.readLineSync({ encoding: 'utf8' }) ?? '<eof>');
    }
    return out;
  } finally {
    c.destroy();
  }
}

test.serial('StreamServer: a fiber per connection, closed when the handler returns', async (t) => {
  const seen: string[] = [];
  const server = new gnet.StreamServer((sock, address) => {
    seen.push(address.address);
    let line: string | null;
    while ((line = sock.readLineSync({ encoding: 'utf8' })) !== null) {
      if (line === 'bye') return;
      sock.writeSync(`echo ${line}\n`);
    }
  });
  t.teardown(() => closeServer(server));
  await spawn(() => {
    server.start(0, '127.0.0.1');
    const p = port(server);
    const clients = [0, 1, 2, 3, 4].map((i) => spawn(() => talk(p, [`a${i}`, `b${i}`, 'bye'])));
    clients.forEach((c, i) => t.deepEqual(c.get(), [`echo a${i}`, `echo b${i}`, '<eof>']));
    t.deepEqual(seen, ['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1']);
    server.stop();
    t.false(server.started);
  });
  t.is(server.connections, 0);
});

test.serial('StreamServer: handler errors are reported and contained; the server goes on', async (t) => {
  const errors: unknown[] = [];
  const server = new gnet.StreamServer(
    (sock) => {
      const line = sock.readLineSync({ encoding: 'utf8' });
      if (line === 'boom') throw new Error('handler failed');
      sock.writeSync(`fine ${line}\n`);
    },
    { onError: (err, sock, address) => errors.push([err, sock !== null, address?.address]) },
  );
  t.teardown(() => closeServer(server));
  await spawn(() => {
    server.start(0, '127.0.0.1');
    t.deepEqual(talk(port(server), ['boom']), ['<eof>']);
    t.deepEqual(talk(port(server), ['ok']), ['fine ok']);
    server.stop();
  });
  t.is(errors.length, 1);
  t.is(((errors[0] as unknown[])[0] as Error).message, 'handler failed');
  t.deepEqual((errors[0] as unknown[]).slice(1), [true, '127.0.0.1']);
});

test.serial('StreamServer pool: at most `size` handlers at once; the others wait and are served', async (t) => {
  let running = 0;
  let peak = 0;
  const gate = new Event();
  const server = new gnet.StreamServer(
    (sock) => {
      running++;
      peak = Math.max(peak, running);
      try {
        gate.wait();
        sock.writeSync('served\n');
      } finally {
        running--;
      }
    },
    { pool: new Pool(2) },
  );
  t.teardown(() => closeServer(server));
  await spawn(() => {
    server.start(0, '127.0.0.1');
    const p = port(server);
    const clients = [0, 1, 2, 3, 4].map(() =>
      spawn(() => {
        const c = gnet.connectSync(p, '127.0.0.1');
        try {
          return c.readLineSync({ encoding: 'utf8' });
        } finally {
          c.destroy();
        }
      }),
    );
    sleep(50);
    t.is(running, 2);
    t.is(server.connections, 5, 'all accepted; three wait for a slot');
    gate.set();
    for (const c of clients) t.is(c.get(), 'served');
    server.stop();
  });
  t.is(peak, 2);
});

test.serial('StreamServer maxConnections: connections beyond it are closed at once', async (t) => {
  const gate = new Event();
  const server = new gnet.StreamServer(() => void gate.wait(), { maxConnections: 1 });
  t.teardown(() => closeServer(server));
  await spawn(() => {
    server.start(0, '127.0.0.1');
    const a = gnet.connectSync(port(server), '127.0.0.1');
    sleep(20);
    const b = gnet.connectSync(port(server), '127.0.0.1');
    t.is(b.readSync(undefined, { timeout: 2000 }), null, 'the second was closed by the server');
    gate.set();
    t.is(a.readSync(undefined, { timeout: 2000 }), null);
    a.destroy();
    b.destroy();
    server.stop();
  });
});

test.serial('StreamServer.stop: waits for handlers within the timeout, kills the rest, closes everything', async (t) => {
  const events: string[] = [];
  const server = new gnet.StreamServer((sock) => {
    const what = sock.readLineSync({ encoding: 'utf8' });
    try {
      if (what === 'quick') {
        sleep(30);
        sock.writeSync('done\n');
        events.push('quick finished');
      } else {
        sock.readSync(); // blocks: the client never writes again
      }
    } catch (err) {
      events.push(err instanceof FiberExit ? 'slow killed' : `error ${String(err)}`);
      throw err;
    }
  });
  t.teardown(() => closeServer(server));
  await spawn(() => {
    server.start(0, '127.0.0.1');
    const p = port(server);
    const quick = gnet.connectSync(p, '127.0.0.1');
    const slow = gnet.connectSync(p, '127.0.0.1');
    quick.writeSync('quick\n');
    slow.writeSync('slow\n');
    sleep(10);
    const forever = spawn(() => server.serveForever());
    sleep(0);
    server.stop({ timeout: 100 });
    forever.get(); // serveForever returned
    t.deepEqual(events.sort(), ['quick finished', 'slow killed']);
    t.is(quick.readLineSync({ encoding: 'utf8' }), 'done');
    t.is(quick.readSync(), null);
    t.is(slow.readSync(), null, 'the killed handler\'s socket was closed');
    t.throws(() => gnet.connectSync(p, '127.0.0.1'), { code: 'ECONNREFUSED' });
    quick.destroy();
    slow.destroy();
    t.throws(() => server.start(0), { instanceOf: SocketClosedError });
  });
  t.is(server.connections, 0);
});

test.serial('StreamServer.stop from the hub returns at once and finishes in a fiber; from a handler it does not wait for itself', async (t) => {
  const server = new gnet.StreamServer((sock) => void sock.readSync());
  t.teardown(() => closeServer(server));
  await spawn(() => server.start(0, '127.0.0.1'));
  const c = await spawn(() => gnet.connectSync(port(server), '127.0.0.1'));
  await until(() => server.connections === 1, 2000, 'the connection');
  server.stop({ timeout: 20 });
  t.false(server.started);
  await until(() => server.connections === 0, 2000, 'the stop');
  c.destroy();

  let handler: gnet.StreamServer | null = null;
  const inner = new gnet.StreamServer((sock) => {
    sock.readLineSync();
    handler!.stop({ timeout: 1000 });
    sock.writeSync('stopped from inside\n');
  });
  t.teardown(() => closeServer(inner));
  handler = inner;
  await spawn(() => {
    inner.start(0, '127.0.0.1');
    t.deepEqual(talk(port(inner), ['stop']), ['stopped from inside']);
  });
});

test.serial('StreamServer start/serveForever: listen errors are thrown in a fiber, reported from the hub', async (t) => {
  const errors: unknown[] = [];
  await spawn(() => {
    const a = new gnet.StreamServer(() => {}).start(0, '127.0.0.1');
    t.teardown(() => closeServer(a));
    const b = new gnet.StreamServer(() => {}, { onError: (e) => errors.push(e) });
    t.teardown(() => closeServer(b));
    t.throws(() => b.start(port(a), '127.0.0.1'), { code: 'EADDRINUSE' });
    t.is(errors.length, 0, 'thrown, not also reported');
    const c = new gnet.StreamServer(() => {}, { onError: (e) => errors.push(e) });
    t.teardown(() => closeServer(c));
    const p = port(a);
    const hubStart = new Promise<void>((resolve) => setImmediate(() => (c.start(p, '127.0.0.1'), resolve())));
    wait(hubStart);
    t.throws(() => c.serveForever(), { code: 'EADDRINUSE' });
    t.is(errors.length, 1);
    a.stop();
  });
  t.throws(() => new gnet.StreamServer(() => {}).serveForever(), { instanceOf: BlockingInHubError });
});

test.serial('killing the fiber in serveForever does not stop the server', async (t) => {
  const server = new gnet.StreamServer((sock) => sock.writeSync('hi\n'));
  t.teardown(() => closeServer(server));
  await spawn(() => {
    const forever = spawn(() => server.serveForever(0, '127.0.0.1'));
    sleep(20);
    forever.kill();
    t.true((forever.value as unknown) instanceof FiberExit);
    t.true(server.started);
    t.deepEqual(talk(port(server), ['x']), ['hi']);
    server.stop();
  });
});

test.serial("greenstack/net Server: 'connection' listeners run in a fiber per connection; fibers: false turns it off", async (t) => {
  const server = gnet.createServer((sock) => {
    const name = sock.readLineSync({ encoding: 'utf8' });
    sock.writeSync(`hello ${name}\n`);
    sock.end();
  });
  t.teardown(() => closeServer(server));
  const hubErrors: unknown[] = [];
  const plain = gnet.createServer({ fibers: false }, (sock) => {
    try {
      sock.readLineSync();
    } catch (err) {
      hubErrors.push(err);
    }
    sock.destroy();
  });
  t.teardown(() => closeServer(plain));
  await spawn(() => {
    server.listenSync(0, '127.0.0.1');
    plain.listenSync(0, '127.0.0.1');
    const clients = ['x', 'y', 'z'].map((n) => spawn(() => talk(port(server), [n])));
    clients.forEach((c, i) => t.deepEqual(c.get(), [`hello ${'xyz'[i]}`]));
    t.deepEqual(talk(port(plain), ['q']), ['<eof>']);
    server.close();
    plain.close();
  });
  t.is(hubErrors.length, 1);
  t.true(hubErrors[0] instanceof BlockingInHubError);
});

test.serial("greenstack/http Server: 'request' handlers run in a fiber per request and may block", async (t) => {
  const gate = new Event();
  let inFlight = 0;
  let peak = 0;
  const server = ghttp.createServer((req, res) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    if (inFlight === 3) gate.set();
    gate.wait({ timeout: 5000 }); // all three are inside their handler at once
    sleep(5);
    inFlight--;
    res.end(`hi ${req.url}`);
  });
  t.teardown(() => closeServer(server));
  t.true(server instanceof nodeHttp.Server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${port(server)}`;
  const bodies = await Promise.all(['/a', '/b', '/c'].map(async (p) => (await fetch(url + p)).text()));
  t.deepEqual(bodies, ['hi /a', 'hi /b', 'hi /c']);
  t.is(peak, 3);
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});
