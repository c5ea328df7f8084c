// keepalive-blocking.js: web-10k server in blocking style, unmodified node:http code: readFileSync of a small file, then the 10 ms upstream with wait(fetch()). Run it with the greenstack CLI: each request's handler gets a fiber.
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { wait } = require('../../dist/index.js');

const PAGE = path.join(__dirname, 'public', 'index.txt');
const upstream = `http://127.0.0.1:${process.env.UPSTREAM_PORT}/`;
const server = http.createServer((req, res) => {
  const page = fs.readFileSync(PAGE);
  const r = wait(fetch(upstream));
  const body = wait(r.text());
  res.end(`${page.length} ${body}`);
});
// 9,000 of the connections sit idle through the run: node's 5 s default would close them.
server.keepAliveTimeout = 120_000;
require('./keepalive-stats.js')(server);
server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, () => console.log(JSON.stringify({ port: server.address().port })));
