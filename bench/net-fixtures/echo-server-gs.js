// echo-server-gs.js: bench echo server: greenstack StreamServer, readSync/writeSync in a fiber per connection. Prints {"port"} when listening.
'use strict';
const { spawn } = require('../../dist/index.js');
const net = require('../../dist/net/net.js');

const server = new net.StreamServer((sock) => {
  let chunk;
  while ((chunk = sock.readSync()) !== null) sock.writeSync(chunk);
}, { noDelay: true, onError: () => {} }); // the load client hangs up mid-stream at the end
spawn(() => {
  server.start(0, '127.0.0.1');
  console.log(JSON.stringify({ port: server.address().port }));
});
