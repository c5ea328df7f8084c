// idle-client.js: bench client: opens N idle connections (200 connects in flight), prints {"connected"}; exits when stdin closes.
'use strict';
const net = require('node:net');

const [port, count] = process.argv.slice(2).map(Number);
let started = 0;
let connected = 0;
function next() {
  if (started >= count) return;
  started++;
  const s = net.connect({ port, host: '127.0.0.1' });
  s.on('error', (err) => {
    console.error(err.message);
    process.exit(2);
  });
  s.once('connect', () => {
    if (++connected === count) console.log(JSON.stringify({ connected }));
    next();
  });
}
for (let i = 0; i < 200; i++) next();
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
