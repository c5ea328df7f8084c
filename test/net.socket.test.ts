// net.socket.test.ts: greenstack/net's blocking reads and writes: data, EOF, half-close, resets, timeouts, kills, concurrent use, stream consistency, bad arguments.
import test from 'ava';
import * as nodeNet from 'node:net';
import {
  BlockingInHubError,
  ConcurrentUseError,
  FiberExit,
  IncompleteReadError,
  LineTooLongError,
  SocketClosedError,
  sleep,
  spawn,
  TimeoutError,
} from 'greenstack';
import * as gnet from 'greenstack/net';
import { checkLeaks } from './helpers/leaks.js';
import { socketPair, until } from './helpers/net.js';
import { settle } from './helpers/toolkit.js';

checkLeaks(test);

test.serial('readSync returns what is buffered, up to max, then null at EOF', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  const sock = gnet.blocking(p.server);
  await spawn(() => {
    p.client.write('hello world');
    t.is(sock.readSync(5)!.toString(), 'hello');
    t.is(sock.readSync()!.toString(), ' world');
    p.client.end();
    t.is(sock.readSync(), null);
    t.is(sock.readSync(), null, 'EOF stays EOF');
  });
});

test.serial('readExactlySync assembles chunks, also beyond the high-water mark', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  const size = 300_000; // > 16 KiB high-water mark: the reader must lift it
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = i % 251;
  await spawn(() => {
    const writer = spawn(() => {
      for (let off = 0; off < size; off += 7000) {
        gnet.writeSync(p.client, data.subarray(off, off + 7000));
        sleep(0);
      }
    });
    const got = gnet.readExactlySync(p.server, size);
    t.true(got.equals(data));
    writer.join();
    t.deepEqual(gnet.readExactlySync(p.server, 0), Buffer.alloc(0));
  });
});

test.serial('EOF inside readExactlySync: IncompleteReadError with the partial bytes, then null', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  await spawn(() => {
    p.client.end('abc');
    const err = t.throws(() => gnet.readExactlySync(p.server, 10), { instanceOf: IncompleteReadError });
    t.is(err!.code, 'ERR_GREENSTACK_INCOMPLETE_READ');
    t.is(err!.expected, 10);
    t.is(err!.partial.toString(), 'abc');
    t.is(gnet.readSync(p.server), null);
    t.throws(() => gnet.readExactlySync(p.server, 1), { instanceOf: IncompleteReadError });
  });
});

test.serial('readLineSync: lines across chunks, CRLF, encoding, last line without newline, EOF', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  await spawn(() => {
    const writer = spawn(() => {
      for (const piece of ['fir', 'st\r\nsec', 'ond\n', '\nthi', 'rd']) {
        p.client.write(piece);
        sleep(5);
      }
      p.client.end();
    });
    t.is(gnet.readLineSync(p.server)!.toString(), 'first');
    t.is(gnet.readLineSync(p.server, { encoding: 'utf8' }), 'second');
    t.is(gnet.readLineSync(p.server, { encoding: 'utf8' }), '');
    t.is(gnet.readLineSync(p.server, { encoding: 'utf8' }), 'third');
    t.is(gnet.readLineSync(p.server), null);
    writer.join();
  });
});

test.serial('readLineSync past maxLength: LineTooLongError, and the data is still there', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  await spawn(() => {
    p.client.write('0123456789abcdef');
    t.throws(() => gnet.readLineSync(p.server, { maxLength: 8 }), { instanceOf: LineTooLongError, code: 'ERR_GREENSTACK_LINE_TOO_LONG' });
    p.client.write('\nnext\n');
    // A line that is found but too long is refused too, and left in place.
    t.throws(() => gnet.readLineSync(p.server, { maxLength: 8 }), { instanceOf: LineTooLongError });
    t.is(gnet.readLineSync(p.server, { encoding: 'latin1', maxLength: 16 }), '0123456789abcdef');
    t.is(gnet.readLineSync(p.server, { encoding: 'latin1', maxLength: 4 }), 'next');
  });
});

test.serial('readUntilSync: a delimiter split across chunks; EOF first gives IncompleteReadError', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  await spawn(() => {
    const writer = spawn(() => {
      for (const piece of ['HEAD', 'ER: 1\r', '\n\r', '\nBODY', '--tail']) {
        p.client.write(piece);
        sleep(5);
      }
      p.client.end();
    });
    t.is(gnet.readUntilSync(p.server, '\r\n\r\n').toString(), 'HEADER: 1');
    t.is(gnet.readUntilSync(p.server, Buffer.from('--')).toString(), 'BODY');
    const err = t.throws(() => gnet.readUntilSync(p.server, '\n'), { instanceOf: IncompleteReadError });
    t.is(err!.partial.toString(), 'tail');
    t.is(err!.expected, '\n');
    writer.join();
  });
});

test.serial('streams stay consistent: what a blocking read leaves is read by the stream API, and back', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  p.client.write('line one\nrest of data');
  await until(() => p.server.readableLength >= 21, 2000, 'data');
  await spawn(() => t.is(gnet.readLineSync(p.server, { encoding: 'utf8' }), 'line one'));
  // The stream API sees exactly what the blocking read left, in order.
  const chunks: Buffer[] = [];
  p.server.on('data', (c: Buffer) => chunks.push(c));
  await until(() => Buffer.concat(chunks).length >= 12, 2000, "'data' events");
  t.is(Buffer.concat(chunks).toString(), 'rest of data');
  p.server.removeAllListeners('data');
  p.server.pause();
  // And back: a partial line read with read() leaves the rest to readLineSync.
  p.client.write('abc\ndef\n');
  await until(() => p.server.readableLength >= 8, 2000, 'data');
  t.is(String(p.server.read(2)), 'ab');
  await spawn(() => {
    t.is(gnet.readLineSync(p.server, { encoding: 'utf8' }), 'c');
    t.is(gnet.readLineSync(p.server, { encoding: 'utf8' }), 'def');
  });
});

test.serial('a timed-out readLineSync loses nothing: the partial line is read later', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  await spawn(() => {
    p.client.write('partial ');
    t.throws(() => gnet.readLineSync(p.server, { timeout: 30 }), { instanceOf: TimeoutError });
    p.client.write('line\n');
    t.is(gnet.readLineSync(p.server, { encoding: 'utf8', timeout: 2000 }), 'partial line');
  });
});

test.serial('half-close: endSync ends only our side; the peer answers after EOF', async (t) => {
  const p = await socketPair({ allowHalfOpen: true });
  t.teardown(p.close);
  await spawn(() => {
    const peer = spawn(() => {
      const got: string[] = [];
      let chunk: Buffer | null;
      while ((chunk = gnet.readSync(p.server)) !== null) got.push(chunk.toString());
      gnet.writeSync(p.server, `got ${got.join('')}`);
      gnet.endSync(p.server);
    });
    gnet.writeSync(p.client, 'request');
    gnet.endSync(p.client);
    t.true(p.client.writableFinished);
    t.throws(() => gnet.writeSync(p.client, 'more'), { instanceOf: SocketClosedError, code: 'ERR_GREENSTACK_SOCKET_CLOSED' });
    const parts: Buffer[] = [];
    let c: Buffer | null;
    while ((c = gnet.readSync(p.client)) !== null) parts.push(c);
    t.is(Buffer.concat(parts).toString(), 'got request');
    peer.join();
  });
});

test.serial('peer reset mid-read: buffered data first, then ECONNRESET, also inside readExactlySync', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  const q = await socketPair();
  t.teardown(q.close);
  gnet.blocking(p.client); // keeps the reset for the next call instead of an uncaught 'error'
  await spawn(() => {
    p.server.write('abc');
    sleep(20);
    p.server.resetAndDestroy();
    sleep(20);
    t.is(gnet.readSync(p.client)!.toString(), 'abc');
    t.throws(() => gnet.readSync(p.client), { code: 'ECONNRESET' });
    t.throws(() => gnet.readSync(p.client), { code: 'ECONNRESET' }, 'the error stays');
    t.throws(() => gnet.writeSync(p.client, 'x'), { code: 'ECONNRESET' });
    // A reader parked when the reset arrives wakes with it.
    const reader = spawn(() => gnet.readExactlySync(q.client, 100));
    q.server.write('partial');
    sleep(20);
    q.server.resetAndDestroy();
    const err = t.throws(() => reader.get(), { code: 'ECONNRESET' });
    t.truthy(err);
  });
});

test.serial('timeouts: per call, the socket idle timeout, and an AbortSignal', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  await spawn(() => {
    const e1 = t.throws(() => gnet.readSync(p.server, undefined, { timeout: 20 }), { instanceOf: TimeoutError });
    t.is(e1!.code, 'ERR_GREENSTACK_TIMEOUT');
    t.throws(() => gnet.readExactlySync(p.server, 5, { timeout: 20 }), { instanceOf: TimeoutError });
    p.server.setTimeout(20);
    t.throws(() => gnet.readLineSync(p.server), { instanceOf: TimeoutError });
    // The idle timer is re-armed per wait, so it applies again though it fired before.
    t.throws(() => gnet.readSync(p.server), { instanceOf: TimeoutError });
    p.server.setTimeout(0);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop reading')), 20);
    t.throws(() => gnet.readUntilSync(p.server, 'x', { signal: ac.signal }), { message: 'stop reading' });
    t.throws(() => gnet.readSync(p.server, 1, { signal: AbortSignal.abort(new Error('already')) }), { message: 'already' });
    // timeout 0 polls: data if buffered, else TimeoutError at once.
    t.throws(() => gnet.readSync(p.server, undefined, { timeout: 0 }), { instanceOf: TimeoutError });
    p.client.write('z');
    sleep(20);
    t.is(gnet.readSync(p.server, undefined, { timeout: 0 })!.toString(), 'z');
  });
});

test.serial('writeSync blocks while the write buffer is full and goes on when the peer reads', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  p.server.pause();
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  await spawn(() => {
    // Poll writes (timeout 0) accept everything or nothing: stop at the first refusal.
    for (;;) {
      try {
        gnet.writeSync(p.client, chunk, { timeout: 0 });
        written += chunk.length;
      } catch (err) {
        t.true(err instanceof TimeoutError);
        break;
      }
    }
    t.true(p.client.writableNeedDrain);
    const writer = spawn(() => {
      gnet.writeSync(p.client, chunk);
      written += chunk.length;
      gnet.endSync(p.client);
    });
    sleep(30);
    t.false(writer.dead, 'blocked until the peer reads');
    let total = 0;
    let c: Buffer | null;
    while ((c = gnet.readSync(p.server)) !== null) total += c.length;
    writer.join();
    t.is(total, written);
  });
});

test.serial('ConcurrentUseError: two fibers reading (or writing) one socket', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  p.server.pause();
  await spawn(() => {
    const first = spawn(() => gnet.readSync(p.server));
    sleep(10);
    const err = t.throws(() => gnet.readLineSync(p.server), { instanceOf: ConcurrentUseError });
    t.is(err!.code, 'ERR_GREENSTACK_CONCURRENT_USE');
    p.client.write('x');
    t.is(first.get()!.toString(), 'x');
    // Fill the write buffer so a writer parks, then a second writer is refused.
    const big = Buffer.alloc(4 * 1024 * 1024);
    gnet.writeSync(p.client, big);
    const w1 = spawn(() => gnet.writeSync(p.client, 'more'));
    sleep(10);
    t.false(w1.dead);
    t.throws(() => gnet.writeSync(p.client, 'other'), { instanceOf: ConcurrentUseError });
    w1.kill();
  });
});

const blockers: Record<string, (p: { client: nodeNet.Socket; server: nodeNet.Socket }) => unknown> = {
  readSync: (p) => gnet.readSync(p.server),
  readExactlySync: (p) => gnet.readExactlySync(p.server, 10),
  readLineSync: (p) => gnet.readLineSync(p.server),
  readUntilSync: (p) => gnet.readUntilSync(p.server, '\r\n'),
  writeSync: (p) => {
    for (;;) gnet.writeSync(p.server, Buffer.alloc(1024 * 1024));
  },
  endSync: (p) => {
    p.server.write(Buffer.alloc(8 * 1024 * 1024));
    gnet.endSync(p.server);
  },
};

for (const [name, block] of Object.entries(blockers)) {
  test.serial(`kill a fiber blocked in ${name}: its finally runs, the socket stays usable, nothing leaks`, async (t) => {
    const p = await socketPair();
    t.teardown(p.close);
    p.client.pause();
    const events: string[] = [];
    const f = spawn(() => {
      try {
        // A partial record (not for readSync, which would return it): must not be lost.
        if (name !== 'readSync') p.client.write('abc');
        block(p);
      } finally {
        events.push('finally');
      }
    });
    await settle();
    t.false(f.dead);
    await spawn(() => f.kill());
    t.deepEqual(events, ['finally']);
    t.true((f.value as unknown) instanceof FiberExit);
    if (name.startsWith('read') && name !== 'readSync') {
      await spawn(() => t.is(gnet.readExactlySync(p.server, 3, { timeout: 1000 }).toString(), 'abc'));
    }
    t.is(p.server.listenerCount('readable'), 0, 'no listener left behind');
  });
}

test.serial('on the hub: a read that need not wait works; one that must wait throws BlockingInHubError', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  t.throws(() => gnet.readSync(p.server), { instanceOf: BlockingInHubError });
  p.client.write('now\n');
  await until(() => p.server.readableLength > 0, 2000, 'data');
  t.is(gnet.readLineSync(p.server, { encoding: 'utf8' }), 'now');
  gnet.writeSync(p.client, 'fits in the buffer');
  t.throws(() => gnet.connectSync(1), { instanceOf: BlockingInHubError });
});

test.serial('blocking() gives a node socket the methods without changing its class or node:net.Socket.prototype', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  const s = gnet.blocking(p.server);
  t.is(s as nodeNet.Socket, p.server);
  t.true(s instanceof nodeNet.Socket);
  t.is(Object.getPrototypeOf(s), nodeNet.Socket.prototype, 'its class is unchanged');
  t.is(typeof s.readLineSync, 'function');
  t.false(Object.keys(s).includes('readLineSync'), 'not enumerable');
  t.false('readLineSync' in nodeNet.Socket.prototype);
  t.is(gnet.blocking(p.server) as unknown, s, 'idempotent');
  await spawn(() => {
    p.client.write('via method\n');
    t.is(s.readLineSync({ encoding: 'utf8' }), 'via method');
    s.writeSync('pong');
    s.endSync({ timeout: 1000 });
  });
  // A Socket made with greenstack/net's class has them from the start.
  const own = new gnet.Socket();
  t.is(typeof own.readExactlySync, 'function');
  own.destroy();
});

test.serial('bad arguments: typed errors with stable codes', async (t) => {
  const p = await socketPair();
  t.teardown(p.close);
  await spawn(() => {
    t.throws(() => gnet.readSync({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.readSync(p.server, 0), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => gnet.readSync(p.server, 1.5), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => gnet.readSync(p.server, '1' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.readExactlySync(p.server, -1), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => gnet.readExactlySync(p.server, Infinity), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => gnet.readLineSync(p.server, { maxLength: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => gnet.readLineSync(p.server, { encoding: 'nope' as never }), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => gnet.readLineSync(p.server, 5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.readUntilSync(p.server, ''), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => gnet.readUntilSync(p.server, 5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.writeSync(p.server, 5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.endSync(p.server, 5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.readSync(p.server, 1, { timeout: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => gnet.readSync(p.server, 1, { signal: 'x' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.connectSync(null as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.connectSync(80, '127.0.0.1', 7 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.connectSync({ port: -5, host: '127.0.0.1' }), { code: 'ERR_SOCKET_BAD_PORT' });
    t.throws(() => gnet.acceptSync({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.listenSync({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => new gnet.StreamServer(5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => new gnet.StreamServer(() => {}, { pool: 'x' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => new gnet.StreamServer(() => {}, { maxConnections: 0 }), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => new gnet.StreamServer(() => {}).stop({ timeout: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => gnet.createServer({ fibers: 'yes' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    t.throws(() => gnet.setServerFibers(1 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

test.serial('writeSync/endSync on a socket that never connected throw SocketClosedError to the caller (no error later on the hub)', async (t) => {
  const errors: unknown[] = [];
  await spawn(() => {
    for (const call of [(s: gnet.Socket) => s.writeSync('x'), (s: gnet.Socket) => s.endSync('x')]) {
      const s = new gnet.Socket();
      s.on('error', (e) => errors.push(e));
      t.throws(() => call(s), { code: 'ERR_GREENSTACK_SOCKET_CLOSED', message: /not connected/ });
      sleep(0);
      s.destroy();
    }
  });
  t.deepEqual(errors, []);
});
