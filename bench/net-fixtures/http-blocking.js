// http-blocking.js: bench server in blocking style, unmodified node:http code: readFileSync, then the 10 ms upstream with wait(fetch()).
// Run it with the greenstack CLI (or node -r greenstack/patch): each request's handler gets a fiber.
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const { wait } = require('../../dist/index.js');

const upstream = `http://127.0.0.1:${process.env.UPSTREAM_PORT}/`;
const server = http.createServer((req, res) => {
  const page = fs.readFileSync(__filename);
  const r = wait(fetch(upstream));
  const body = wait(r.text());
  res.end(`${page.length} ${body}`);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
