// echo-server-node.js: bench peer: a plain node:net echo server (callbacks). Prints {"port"} when listening.
'use strict';
const net = require('node:net');

const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  sock.on('data', (chunk) => sock.write(chunk));
  sock.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
