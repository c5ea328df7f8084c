// http-blocking-exec.js: bench server using only node's own blocking calls, so plain node can run it too: readFileSync, then the 10 ms upstream via execFileSync('curl').
// Under the greenstack CLI both calls block only the request's fiber; under plain node they block the process.
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const upstream = `http://127.0.0.1:${process.env.UPSTREAM_PORT}/`;
const server = http.createServer((req, res) => {
  const page = fs.readFileSync(__filename);
  const body = execFileSync('curl', ['-s', upstream], { encoding: 'utf8' });
  res.end(`${page.length} ${body}`);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
