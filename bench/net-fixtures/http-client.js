// http-client.js: bench HTTP load client used when wrk is missing: N keep-alive connections in a loop for S seconds; prints {"rate"} in requests/s.
'use strict';
const http = require('node:http');

const [port, conns, seconds] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
let count = 0;
let running = true;
const t0 = process.hrtime.bigint();

function one() {
  if (!running) return;
  http
    .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => {
        count++;
        one();
      });
    })
    .on('error', (err) => {
      console.error(err.message);
      process.exit(2);
    });
}
for (let i = 0; i < conns; i++) one();
setTimeout(() => {
  running = false;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ rate: count / secs }));
  process.exit(0);
}, seconds * 1000);
