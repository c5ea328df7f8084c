// echo-server-fn.js: experiment: node:net server, a fiber per connection calling greenstack/net's readSync/writeSync functions (no prototype change). Prints {"port"}.
'use strict';
const { spawn } = require('../../dist/index.js');
const gnet = require('../../dist/net.js');
const net = require('node:net');

const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  spawn(() => {
    let chunk;
    try {
      while ((chunk = gnet.readSync(sock)) !== null) gnet.writeSync(sock, chunk);
    } catch {}
    sock.destroy();
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
