// dropin-fs.js: greenstack/fs as a drop-in for node:fs, no patching: `node examples/dropin-fs.js [dir]`.
//
// Three fibers walk a directory tree with the ordinary sync API (readdirSync,
// statSync); each call parks only its fiber. Outside a fiber the same functions
// are node:fs's own, so the summary at the end is plain synchronous code.
'use strict';
const fs = require('greenstack/fs');
const path = require('path');
const { spawn } = require('greenstack');

// Defaults: folders an installed package has as well as a checkout.
const root = path.resolve(process.argv[2] || path.join(__dirname, '..', 'dist'));

function walk(dir) {
  let files = 0;
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = walk(full);
      files += sub.files;
      bytes += sub.bytes;
    } else if (entry.isFile()) {
      files++;
      bytes += fs.statSync(full).size;
    }
  }
  return { files, bytes };
}

const dirs = [root, path.join(__dirname, '..', 'native'), __dirname];
Promise.all(dirs.map((dir) => spawn(walk, dir))).then((results) => {
  results.forEach((r, i) => console.log(`${dirs[i]}: ${r.files} files, ${r.bytes} bytes`));
  console.log(`outside a fiber, fs.existsSync is node's: ${fs.existsSync(root)}`);
});
