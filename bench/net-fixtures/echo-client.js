// echo-client.js: bench load client (its own process): N connections each ping-ponging SIZE-byte messages; prints {"rate"} in messages/s after a warm-up.
'use strict';
const net = require('node:net');

const [port, conns, size, seconds] = process.argv.slice(2).map(Number);
const warmupMs = 500;
const msg = Buffer.alloc(size, 0x78);
let counting = false;
let count = 0;
let connected = 0;

for (let i = 0; i < conns; i++) {
  const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
  let pending = 0;
  s.on('connect', () => {
    s.write(msg);
    if (++connected === conns) start();
  });
  s.on('data', (d) => {
    pending += d.length;
    while (pending >= size) {
      pending -= size;
      if (counting) count++;
      s.write(msg);
    }
  });
  s.on('error', (err) => {
    console.error(err.message);
    process.exit(2);
  });
}

function start() {
  setTimeout(() => {
    counting = true;
    const t0 = process.hrtime.bigint();
    setTimeout(() => {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      console.log(JSON.stringify({ rate: count / secs, count, secs }));
      process.exit(0);
    }, seconds * 1000);
  }, warmupMs);
}
