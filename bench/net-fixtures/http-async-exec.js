// http-async-exec.js: bench peer: http-blocking-exec.js rewritten with async/await (readFile, await execFile('curl')).
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const { promisify } = require('node:util');
const execFile = promisify(require('node:child_process').execFile);

const upstream = `http://127.0.0.1:${process.env.UPSTREAM_PORT}/`;
const server = http.createServer(async (req, res) => {
  const page = await fs.promises.readFile(__filename);
  const { stdout } = await execFile('curl', ['-s', upstream], { encoding: 'utf8' });
  res.end(`${page.length} ${stdout}`);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
