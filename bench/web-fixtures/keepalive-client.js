// keepalive-client.js: web-10k load client: opens N keep-alive HTTP/1.1 connections (paced), drives A of them in a closed loop while the rest stay idle; prints JSON lines per phase, then the measured rate and latencies.
//
// argv: port total active warmupSeconds seconds. After each batch of connects it
// prints {"phase":"batch"} and waits for "go" on stdin: the parent sends it once the
// server has accepted them, since a connect completes before the server accepts it
// and an unpaced accept queue overflows the listen backlog. Raw net sockets with a minimal
// HTTP/1.1 response parser: an http.Agent (or autocannon) costs more CPU per socket
// than 10,000 connections on a shared 2-core machine can spare. The idle ones send
// nothing (node's http server sets a parser up per connection either way; a first
// request on each would cost the run 10,000 upstream calls). Any error, non-200 or
// closed connection exits non-zero: that run is no measurement.
'use strict';
const net = require('node:net');

const [port, total, active, warmupSeconds, seconds] = process.argv.slice(2).map(Number);
const BATCH = 500; // connects in flight at once: well under the server's listen backlog (2048)
const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');

function fail(message) {
  console.error(`keepalive-client: ${message}`);
  process.exit(2);
}

// Per-connection state: bytes not yet parsed, and the pending request's callback.
class Conn {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.onResponse = null;
    this.sentAt = 0n;
    sock.setNoDelay(true);
    sock.on('data', (d) => this.data(d));
    sock.on('error', (err) => fail(`connection error: ${err.message}`));
    sock.on('close', () => {
      if (!stopping) fail('the server closed a keep-alive connection');
    });
  }

  request(cb) {
    this.onResponse = cb;
    this.sentAt = process.hrtime.bigint();
    this.sock.write(REQUEST);
  }

  data(d) {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (m === null) fail(`response without content-length: ${head.split('\r\n')[0]}`);
      const size = end + 4 + Number(m[1]);
      if (this.buf.length < size) return;
      this.buf = this.buf.subarray(size);
      if (status !== 200) fail(`status ${status}`);
      const cb = this.onResponse;
      if (cb === null) fail('a response nobody asked for');
      this.onResponse = null;
      cb(Number(process.hrtime.bigint() - this.sentAt) / 1e6);
    }
  }
}

let stopping = false;
const conns = [];

// stdin lines from the parent: "go" after each batch; end of stdin: exit.
const goes = [];
let stdinBuf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  stdinBuf += d;
  let nl;
  while ((nl = stdinBuf.indexOf('\n')) >= 0) {
    stdinBuf = stdinBuf.slice(nl + 1);
    if (goes.length > 0) goes.shift()();
  }
});
process.stdin.on('end', () => {
  stopping = true;
  process.exit(0);
});
const go = () => new Promise((resolve) => goes.push(resolve));

function connectOne() {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const c = new Conn(sock);
    sock.once('connect', () => resolve(c));
  });
}

async function main() {
  const t0 = Date.now();
  // Paced: the next BATCH connects start when the last batch has connected.
  while (conns.length < total) {
    const n = Math.min(BATCH, total - conns.length);
    conns.push(...(await Promise.all(Array.from({ length: n }, connectOne))));
    console.log(JSON.stringify({ phase: 'batch', connections: conns.length }));
    await go();
  }
  console.log(JSON.stringify({ phase: 'connected', connections: conns.length, ms: Date.now() - t0 }));

  // Every (total / active)-th connection is active; the rest stay idle.
  const step = Math.floor(total / active);
  const drivers = conns.filter((_, i) => i % step === 0).slice(0, active);
  let measuring = false;
  let running = true;
  let done = 0;
  const lat = [];
  const loop = (c) =>
    c.request((ms) => {
      if (measuring) {
        done++;
        lat.push(ms);
      }
      if (running) loop(c);
    });
  drivers.forEach(loop);
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  console.log(JSON.stringify({ phase: 'measure' }));
  const start = process.hrtime.bigint();
  measuring = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  running = false;
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  lat.sort((a, b) => a - b);
  const pct = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
  console.log(JSON.stringify({ phase: 'done', rate: done / secs, requests: done, p50: pct(50), p99: pct(99), max: lat[lat.length - 1] }));
  // Connections stay open (the server's RSS is read with all of them) until stdin closes.
}

main().catch((err) => fail(err.stack));
