// redis-client.js: a blocking-style Redis client on greenstack/net (RESP2: commands, pipelining, error replies), and a demo when run directly.
//
//   node examples/redis-client.js [port] [host]      (a redis-server must be running)
//
// Each client owns one connection; use one client per fiber (a connection answers
// in order, so two fibers sharing one would read each other's replies: greenstack
// refuses that with ConcurrentUseError).
'use strict';
const net = require('greenstack/net');

/** An error reply from the server (-ERR ..., -WRONGTYPE ...). */
class RedisError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RedisError';
    this.code = message.split(' ', 1)[0];
  }
}

function encode(args) {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) {
    const buf = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(`$${buf.length}\r\n`, buf, '\r\n');
  }
  return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
}

class RedisClient {
  /**
   * Connects (blocking the calling fiber). options: { timeout } for the connect,
   * { buffers: true } to get bulk replies as Buffers instead of strings.
   */
  constructor(port = 6379, host = '127.0.0.1', options = {}) {
    this.buffers = options.buffers === true;
    this.sock = net.connectSync(port, host, { timeout: options.timeout ?? 5000 });
    this.sock.setNoDelay(true);
  }

  /** Sends one command and returns its reply; an error reply is thrown as RedisError. */
  call(...args) {
    this.sock.writeSync(encode(args));
    const reply = this.readReply();
    if (reply instanceof RedisError) throw reply;
    return reply;
  }

  /**
   * Sends many commands in one write and reads all replies (one round trip).
   * Error replies come back in the array as RedisError objects.
   */
  pipeline(commands) {
    this.sock.writeSync(Buffer.concat(commands.map(encode)));
    return commands.map(() => this.readReply());
  }

  readReply() {
    const line = this.sock.readLineSync({ encoding: 'utf8', maxLength: 1 << 20 });
    if (line === null) throw new Error('redis: connection closed by the server');
    const type = line[0];
    const rest = line.slice(1);
    switch (type) {
      case '+':
        return rest;
      case '-':
        return new RedisError(rest);
      case ':':
        return Number(rest);
      case '$': {
        const n = Number(rest);
        if (n < 0) return null;
        const data = this.sock.readExactlySync(n + 2).subarray(0, n); // + CRLF
        return this.buffers ? data : data.toString('utf8');
      }
      case '*': {
        const n = Number(rest);
        if (n < 0) return null;
        const items = [];
        for (let i = 0; i < n; i++) items.push(this.readReply());
        return items;
      }
      default:
        throw new Error(`redis: protocol error, unexpected line ${JSON.stringify(line)}`);
    }
  }

  ping(message) {
    return message === undefined ? this.call('PING') : this.call('PING', message);
  }

  get(key) {
    return this.call('GET', key);
  }

  set(key, value, ...options) {
    return this.call('SET', key, value, ...options);
  }

  del(...keys) {
    return this.call('DEL', ...keys);
  }

  incr(key) {
    return this.call('INCR', key);
  }

  /** Sends QUIT and closes the connection. */
  quit() {
    try {
      this.call('QUIT');
    } finally {
      this.close();
    }
  }

  close() {
    this.sock.destroy();
  }
}

module.exports = { RedisClient, RedisError, encode };

if (require.main === module) {
  const { spawn, joinAll } = require('greenstack');
  const port = Number(process.argv[2] || 6379);
  const host = process.argv[3] || '127.0.0.1';
  spawn(() => {
    const r = new RedisClient(port, host);
    console.log('PING ->', r.ping());
    console.log('SET greeting ->', r.set('greeting', 'hello from a fiber'));
    console.log('GET greeting ->', r.get('greeting'));
    const replies = r.pipeline([['SET', 'n', 0], ['INCR', 'n'], ['INCR', 'n'], ['GET', 'n'], ['NOSUCHCOMMAND']]);
    console.log('pipeline ->', replies.map((x) => (x instanceof RedisError ? `RedisError(${x.code})` : x)));
    // Ten fibers, ten connections, straight-line code, all at once.
    r.set('counter', 0);
    const workers = Array.from({ length: 10 }, () =>
      spawn(() => {
        const c = new RedisClient(port, host);
        for (let i = 0; i < 100; i++) c.incr('counter');
        c.quit();
      }),
    );
    joinAll(workers, { raiseError: true });
    console.log('counter after 10 fibers x 100 INCR ->', r.get('counter'));
    r.del('greeting', 'n', 'counter');
    r.quit();
  }).then(null, (err) => {
    // A fiber is thenable (then only): await it, or pass then() a rejection handler.
    console.error(err);
    process.exitCode = 1;
  });
}
