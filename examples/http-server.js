// http-server.js: an HTTP server written in blocking style: each request's handler runs in its own fiber and calls readFileSync, sleep and wait(fetch()) in straight-line code.
//
//   node examples/http-server.js [port]
//   curl localhost:8080/            (reads this file with readFileSync)
//   curl localhost:8080/slow        (blocks 200 ms; other requests go on meanwhile)
//   curl 'localhost:8080/fetch?url=http://example.com/'
//
// greenstack/http's createServer runs 'request' listeners in a fiber per request.
// An unmodified node:http server gets the same with `npx greenstack app.js` or
// `node -r greenstack/patch app.js`.
'use strict';
const http = require('greenstack/http');
const fs = require('greenstack/fs');
const { sleep, wait } = require('greenstack');

function handler(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/') {
    const source = fs.readFileSync(__filename, 'utf8'); // blocks this request only
    res.end(`this example is ${source.length} bytes long\n`);
  } else if (url.pathname === '/slow') {
    sleep(200);
    res.end('slept 200 ms\n');
  } else if (url.pathname === '/fetch') {
    const upstream = wait(fetch(url.searchParams.get('url')));
    const body = wait(upstream.text());
    res.end(`upstream said ${upstream.status}, ${body.length} bytes\n`);
  } else {
    res.statusCode = 404;
    res.end('not found\n');
  }
}

function createServer() {
  return http.createServer(handler);
}

module.exports = { createServer, handler };

if (require.main === module) {
  const port = Number(process.argv[2] || 8080);
  createServer().listen(port, () => console.log(`listening on http://localhost:${port}/`));
}
