// cluster.js: scaling blocking-style servers across CPU cores with node:cluster; each worker process has its own hub and fibers.
//
//   node examples/cluster.js [port]     a primary and one worker per core, serving HTTP
//   node examples/cluster.js --demo     2 workers, 20 concurrent requests, prints who served them, exits
//
// The primary only forks; each worker runs a greenstack/http server whose
// handlers block (sleep here, readFileSync or a database call in real code).
// node:cluster shares the listening port, so requests spread over the workers.
'use strict';
const cluster = require('node:cluster');
const os = require('node:os');

const demo = process.argv[2] === '--demo';

if (cluster.isPrimary) {
  const workers = demo ? 2 : os.availableParallelism();
  const port = demo ? 0 : Number(process.argv[2] || 8080);
  cluster.setupPrimary({ args: [demo ? '--worker-demo' : '--worker', String(port)] });
  let listening = 0;
  let demoPort = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('listening', (worker, address) => {
    demoPort = address.port;
    if (++listening < workers) return;
    if (!demo) {
      console.log(`${workers} workers serving http://localhost:${address.port}/`);
      return;
    }
    runDemo(demoPort).finally(() => {
      for (const w of Object.values(cluster.workers)) w.kill();
    });
  });
} else {
  // A worker: its own hub, its own fibers.
  const http = require('greenstack/http');
  const { sleep } = require('greenstack');
  const port = Number(process.argv[3]);
  http
    .createServer((req, res) => {
      sleep(50); // blocks this request's fiber only
      res.end(`served by worker ${process.pid}\n`);
    })
    .listen(port, '127.0.0.1');
}

async function runDemo(port) {
  const bodies = await Promise.all(
    Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())),
  );
  const byWorker = new Map();
  for (const b of bodies) byWorker.set(b.trim(), (byWorker.get(b.trim()) || 0) + 1);
  console.log(`20 requests answered by ${byWorker.size} worker processes (${[...byWorker.values()].join(' + ')})`);
}
