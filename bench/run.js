#!/usr/bin/env node
// run.js: runs every bench/*.js module's run() and prints one table (each row beside its same-run peer).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const only = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  const rows = [];
  for (const file of files) {
    const mod = require(path.join(__dirname, file));
    if (typeof mod.run !== 'function') continue;
    process.stderr.write(`bench: ${file} ...\n`);
    const started = Date.now();
    try {
      for (const row of await mod.run()) rows.push({ suite: file.replace(/\.js$/, ''), ...row });
    } catch (err) {
      rows.push({ suite: file.replace(/\.js$/, ''), name: 'FAILED', value: NaN, unit: '', note: String((err && err.message) || err).split('\n').slice(-3).join(' ').slice(0, 200) });
    }
    process.stderr.write(`bench: ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  printTable(rows);
}

function fmt(v) {
  if (typeof v !== 'number') return v === undefined ? '' : String(v);
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function printTable(rows) {
  const header = ['suite', 'measure', 'value', 'unit', 'peer', 'peer value', 'ratio', 'target', 'note'];
  const body = rows.map((r) => [
    r.suite,
    r.name,
    fmt(r.value),
    r.unit || '',
    r.peer || '',
    fmt(r.peerValue),
    r.ratio === undefined ? '' : `${fmt(r.ratio)}x`,
    r.target || '',
    r.note || '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const b of body) console.log(line(b));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
