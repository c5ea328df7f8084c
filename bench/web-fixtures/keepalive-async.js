// keepalive-async.js: web-10k peer: keepalive-blocking.js rewritten with async/await (await fs.promises.readFile, await fetch()), under plain node.
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const PAGE = path.join(__dirname, 'public', 'index.txt');
const upstream = `http://127.0.0.1:${process.env.UPSTREAM_PORT}/`;
const server = http.createServer(async (req, res) => {
  const page = await fs.promises.readFile(PAGE);
  const r = await fetch(upstream);
  const body = await r.text();
  res.end(`${page.length} ${body}`);
});
// 9,000 of the connections sit idle through the run: node's 5 s default would close them.
server.keepAliveTimeout = 120_000;
require('./keepalive-stats.js')(server);
server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, () => console.log(JSON.stringify({ port: server.address().port })));
