// http-async.js: bench peer: the same server as http-blocking.js rewritten with async/await (readFile, await fetch()).
'use strict';
const http = require('node:http');
const fs = require('node:fs');

const upstream = `http://127.0.0.1:${process.env.UPSTREAM_PORT}/`;
const server = http.createServer(async (req, res) => {
  const page = await fs.promises.readFile(__filename);
  const r = await fetch(upstream);
  const body = await r.text();
  res.end(`${page.length} ${body}`);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
