// upstream.js: bench upstream HTTP server: answers every request after 10 ms. Prints {"port"}.
'use strict';
const http = require('node:http');

const server = http.createServer((req, res) => setTimeout(() => res.end('upstream says hi'), 10));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
