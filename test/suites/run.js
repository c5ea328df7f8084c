// run.js: runs the own test suite of a sync-heavy npm package (lockfile, which ships its tap tests) under node, under the greenstack CLI, and with every test body in a fiber (patch preload + tap-in-fibers.js); prints the counts side by side.
//
// fs-extra, graceful-fs and write-file-atomic publish no tests to npm (checked with
// npm pack, latest and older versions), so lockfile stands in: npm's lock-file
// package, built on openSync/closeSync/statSync/unlinkSync, whose tarball ships
// test/*.js (tap) and whose devDependencies (tap, touch) install from npm.
// Test files run unmodified from a scratch copy (they create lock files in the cwd).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const nodeModules = path.join(root, 'node_modules');
const pkgDir = path.join(nodeModules, 'lockfile');
const cli = path.join(root, 'bin', 'greenstack.js');
const preload = path.join(root, 'dist', 'patch', 'patch.js');
const inFibers = path.join(__dirname, 'tap-in-fibers.js');

const modes = {
  node: (file) => [file],
  cli: (file) => [cli, file],
  fibers: (file) => ['-r', preload, '-r', inFibers, file],
};

/** Counts TAP result lines (tests and assertions, subtests included). */
function countTap(text) {
  return {
    passed: (text.match(/^\s*ok /gm) ?? []).length,
    failed: (text.match(/^\s*not ok /gm) ?? []).length,
    failures: (text.match(/^\s*not ok .*$/gm) ?? []).map((l) => l.trim()),
  };
}

function main() {
  const wanted = process.argv.slice(2).filter((m) => m in modes);
  const runModes = wanted.length > 0 ? wanted : Object.keys(modes);
  const files = fs.readdirSync(path.join(pkgDir, 'test')).filter((f) => f.endsWith('.js')).sort();
  const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  const totals = {};
  for (const mode of runModes) {
    totals[mode] = { passed: 0, failed: 0, crashed: [] };
    for (const file of files) {
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-suite-lockfile-'));
      try {
        fs.cpSync(pkgDir, scratch, { recursive: true });
        const r = spawnSync(process.execPath, modes[mode](path.join('test', file)), {
          cwd: scratch,
          encoding: 'utf8',
          timeout: 300_000,
          env: { ...process.env, NODE_PATH: nodeModules },
        });
        const c = countTap(r.stdout);
        totals[mode].passed += c.passed;
        totals[mode].failed += c.failed;
        const status = r.status === 0 ? 'exit 0' : `exit ${r.status ?? r.signal}`;
        if (r.status !== 0) totals[mode].crashed.push(file);
        console.log(`lockfile@${version} ${mode.padEnd(6)} ${file.padEnd(22)} ${c.passed} passed, ${c.failed} failed (${status})`);
        for (const f of c.failures) console.log(`    ${f}`);
        if (r.status !== 0 && c.failed === 0) console.log(r.stderr.split('\n').slice(-15).join('\n'));
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
    }
  }
  console.log('');
  for (const mode of runModes) {
    const t = totals[mode];
    console.log(`lockfile suite, ${mode}: ${t.passed} passed, ${t.failed} failed${t.crashed.length ? ` (non-zero exit: ${t.crashed.join(', ')})` : ''}`);
  }
  // The suite must pass under node; the greenstack modes must match it.
  const ref = totals.node;
  const bad = runModes.filter((m) => totals[m].failed > 0 || totals[m].crashed.length > 0 || (ref && totals[m].passed !== ref.passed));
  process.exitCode = bad.length > 0 ? 1 : 0;
}

main();
