// install.js: npm "install" script: builds the addon from source, except in a user's project
// where a prebuilt addon for the running Node already loads.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const abi = process.versions.modules;
const target = `${process.platform}-${process.arch}`;
const log = (msg) => console.error(`greenstack: ${msg}`);

// The repo's own `npm install` always builds from source (its developers change native/);
// installed as a dependency (inside node_modules) a matching prebuild is enough.
// --build-from-source (npm_config_build_from_source) or GREENSTACK_BUILD_FROM_SOURCE=1 force it.
const asDependency = root.split(path.sep).includes('node_modules');
const forced =
  process.env.GREENSTACK_BUILD_FROM_SOURCE === '1' || process.env.npm_config_build_from_source === 'true';

function prebuildLoads() {
  const file = path.join(root, 'prebuilds', target, `greenstack.abi${abi}.node`);
  if (!fs.existsSync(file)) return false;
  try {
    require(file);
    return true;
  } catch (error) {
    log(`prebuilt ${path.relative(root, file)} does not load (${error.message.split('\n')[0]}); building from source`);
    return false;
  }
}

if (asDependency && !forced && prebuildLoads()) {
  log(`using the prebuilt addon for Node ${process.version} (ABI ${abi}, ${target})`);
  process.exit(0);
}

// npm runs install scripts with its bundled node-gyp in npm_config_node_gyp and on PATH.
const gyp = process.env.npm_config_node_gyp;
const result =
  gyp && fs.existsSync(gyp)
    ? spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: root, stdio: 'inherit' })
    : spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (result.status !== 0) {
  log(
    `building the native addon from source failed (${result.error ? result.error.message : `exit ${result.status}`}) ` +
      `and no prebuilt addon matches Node ${process.version} (ABI ${abi}, ${target}). ` +
      'A source build needs python3, make and a C++20 compiler (g++ >= 10 or clang >= 10).',
  );
  process.exit(result.status || 1);
}
