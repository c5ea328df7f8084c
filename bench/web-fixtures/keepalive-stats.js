// keepalive-stats.js: instrumentation both web-10k servers load: CPU and GC time (PerformanceObserver 'gc'), requests in flight, RSS and greenstack's fiber counts, reported as JSON lines on stdin commands, one a line ("conns" prints the open connections, "start" resets, "stats" prints all).
'use strict';
const { PerformanceObserver, constants } = require('node:perf_hooks');

/** Instruments `server`; the app itself stays as a user wrote it. */
module.exports = function instrument(server) {
  // greenstack's runtime counts, only when the app loaded greenstack (the async peer does not).
  let gs = null;
  try {
    gs = require.cache[require.resolve('../../dist/index.js')]?.exports ?? null;
  } catch {
    gs = null;
  }
  let gc = { ms: 0, count: 0, major: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.ms += e.duration;
      gc.count++;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      if (e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
    }
  }).observe({ entryTypes: ['gc'] });

  // Requests in flight: a high-water mark of 1 would mean the handlers did not overlap.
  let inFlight = 0;
  let maxInFlight = 0;
  let requests = 0;
  let connections = 0;
  server.on('connection', (sock) => {
    connections++;
    sock.once('close', () => connections--);
  });
  server.prependListener('request', (req, res) => {
    requests++;
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    res.once('close', () => inFlight--);
  });

  let since = process.hrtime.bigint();
  let cpuSince = process.cpuUsage();
  process.stdin.setEncoding('utf8');
  let pending = '';
  process.stdin.on('data', (d) => {
    pending += d;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      command(pending.slice(0, nl).trim());
      pending = pending.slice(nl + 1);
    }
  });
  function command(cmd) {
    if (cmd === 'conns') console.log(JSON.stringify({ connections }));
    if (cmd === 'start') {
      gc = { ms: 0, count: 0, major: 0, maxMs: 0 };
      maxInFlight = inFlight;
      requests = 0;
      since = process.hrtime.bigint();
      cpuSince = process.cpuUsage();
    }
    if (cmd === 'stats') {
      // Observer entries are delivered a turn late: report after one.
      setImmediate(() => {
        const rt = gs && gs.runtimeStats();
        console.log(
          JSON.stringify({
            windowMs: Number(process.hrtime.bigint() - since) / 1e6,
            cpuMs: ((u) => (u.user + u.system) / 1000)(process.cpuUsage(cpuSince)),
            gcMs: gc.ms,
            gcCount: gc.count,
            gcMajor: gc.major,
            gcMaxMs: gc.maxMs,
            rss: process.memoryUsage().rss,
            connections,
            requests,
            inFlight,
            maxInFlight,
            fibers: rt && { backend: rt.backend, suspended: rt.suspended, records: rt.records, spawns: rt.spawns },
          }),
        );
      });
    }
  }
};
