// _util.js: shared helpers for benchmarks: medians, fresh-process runs.
'use strict';
const { execFileSync } = require('node:child_process');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Runs `node [flags] -e code` in a fresh process and parses the JSON it prints last. */
function runFresh(code, { flags = [], env = {}, timeout = 300_000 } = {}) {
  const out = execFileSync(process.execPath, [...flags, '-e', code], {
    env: { ...process.env, ...env },
    timeout,
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

const DIST = require('node:path').join(__dirname, '..', 'dist');

/** Helpers every benchmark script run by runFresh() starts with. */
const SCRIPT_PRELUDE = `
const DIST = ${JSON.stringify(DIST)};
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];
const now = () => process.hrtime.bigint();
`;

// Calls fn with each line of stream that parses as JSON (a child's reports), in order.
function onJsonLines(stream, fn) {
  let buf = '';
  stream.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let value;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      fn(value);
    }
  });
}

module.exports = { DIST, SCRIPT_PRELUDE, median, onJsonLines, percentile, runFresh };
