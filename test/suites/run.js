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
// A tool project of its own (tools/suites), installed on first use from the npm
// registry: its packages' bins (touch) must not shadow system commands in the
// root project's npm install.
const tools = path.join(root, 'tools', 'suites');
const nodeModules = path.join(tools, 'node_modules');
if (!fs.existsSync(path.join(nodeModules, 'lockfile', 'package.json'))) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const lock = fs.existsSync(path.join(tools, 'package-lock.json'));
  const r = spawnSync(npm, [lock ? 'ci' : 'install', '--no-audit', '--no-fund', '--prefix', tools], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm ${lock ? 'ci' : 'install'} in tools/suites failed (exit ${r.status})`);
}
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

function runFile(mode, file) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-suite-lockfile-'));
  try {
    fs.cpSync(pkgDir, scratch, { recursive: true });
    const r = spawnSync(process.execPath, modes[mode](path.join('test', file)), {
      cwd: scratch,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, NODE_PATH: nodeModules },
    });
    return { ...countTap(r.stdout), status: r.status ?? r.signal, stderr: r.stderr };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function sameAs(r, ref) {
  return r.status === ref.status && r.passed === ref.passed && r.failed === ref.failed;
}

function report(mode, file, r, suffix) {
  console.log(`lockfile@${version} ${mode.padEnd(6)} ${file.padEnd(22)} ${r.passed} passed, ${r.failed} failed (exit ${r.status})${suffix}`);
  for (const f of r.failures) console.log(`    ${f}`);
  if (r.status !== 0 && r.failed === 0) console.log(r.stderr.split('\n').slice(-15).join('\n'));
}

const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;

function main() {
  const wanted = process.argv.slice(2).filter((m) => m in modes);
  const runModes = wanted.length > 0 ? wanted : Object.keys(modes);
  const files = fs.readdirSync(path.join(pkgDir, 'test')).filter((f) => f.endsWith('.js')).sort();
  const totals = {};
  const byFile = {};
  for (const mode of runModes) {
    totals[mode] = { passed: 0, failed: 0, crashed: [], retried: [] };
    for (const file of files) {
      let r = runFile(mode, file);
      // lockfile's contention tests race real processes on timers and fail now and
      // then under node too (seen on a loaded 2-core machine): a file that fails, or
      // differs from node's run, is run once more before it counts (and says so).
      const ref = byFile[`node ${file}`];
      if (r.failed > 0 || r.status !== 0 || (ref !== undefined && !sameAs(r, ref))) {
        report(mode, file, r, ' (retried)');
        totals[mode].retried.push(file);
        r = runFile(mode, file);
      }
      byFile[`${mode} ${file}`] = r;
      totals[mode].passed += r.passed;
      totals[mode].failed += r.failed;
      if (r.status !== 0) totals[mode].crashed.push(file);
      report(mode, file, r, '');
    }
  }
  console.log('');
  for (const mode of runModes) {
    const t = totals[mode];
    const notes = [];
    if (t.crashed.length) notes.push(`non-zero exit: ${t.crashed.join(', ')}`);
    if (t.retried.length) notes.push(`retried once: ${t.retried.join(', ')}`);
    console.log(`lockfile suite, ${mode}: ${t.passed} passed, ${t.failed} failed${notes.length ? ` (${notes.join('; ')})` : ''}`);
  }
  // A greenstack mode fails the run where it does worse than node on a file that
  // passed under node. A file that fails under node itself (lockfile's
  // stale-contention.js does on a loaded 2-core machine) is reported, not judged.
  const worse = [];
  for (const file of files) {
    const ref = byFile[`node ${file}`];
    if (ref !== undefined && (ref.status !== 0 || ref.failed > 0)) continue;
    for (const mode of runModes) {
      const r = byFile[`${mode} ${file}`];
      if (r.status !== 0 || r.failed > 0 || (ref !== undefined && r.passed < ref.passed)) worse.push(`${mode} ${file}`);
    }
  }
  if (worse.length > 0) console.log(`worse than node: ${worse.join(', ')}`);
  process.exitCode = worse.length > 0 ? 1 : 0;
}

main();
