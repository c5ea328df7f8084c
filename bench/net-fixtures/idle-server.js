// idle-server.js: bench server holding idle connections: argv[2] "gs" (StreamServer, a fiber parked in readSync per connection) or "node" (node:net, a 'data' listener). Prints {"port"}; on "rss\n" from stdin prints {"rss","connections"}.
'use strict';
const kind = process.argv[2];
let connections = 0;
let server;
if (kind === 'gs') {
  const { spawn } = require('../../dist/index.js');
  const net = require('../../dist/net/net.js');
  server = new net.StreamServer((sock) => {
    connections++;
    try {
      sock.readSync();
    } finally {
      connections--;
    }
  });
  spawn(() => {
    server.start({ port: 0, host: '127.0.0.1', backlog: 1024 });
    console.log(JSON.stringify({ port: server.address().port }));
  });
} else {
  const net = require('node:net');
  server = net.createServer((sock) => {
    connections++;
    sock.on('data', () => {});
    sock.on('close', () => connections--);
    sock.on('error', () => {});
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => console.log(JSON.stringify({ port: server.address().port })));
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  if (d.includes('rss')) {
    if (global.gc) global.gc();
    console.log(JSON.stringify({ rss: process.memoryUsage().rss, connections }));
  }
});
