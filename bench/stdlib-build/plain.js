// plain.js: the build-tool-like script in blocking style, as anyone writes it for node (bench/stdlib.js runs it three ways).
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { execSync } = require('child_process');

const [src, out] = process.argv.slice(2);
const files = fs.readdirSync(src).sort();

function buildOne(name) {
  const data = fs.readFileSync(path.join(src, name));
  const packed = zlib.gzipSync(data);
  fs.writeFileSync(path.join(out, `${name}.gz`), packed);
  return packed.length;
}

for (const name of files) buildOne(name); // POOL LINE
for (let i = 0; i < 20; i++) execSync('exit 0');
console.log(JSON.stringify({ files: files.length, bytes: fs.readdirSync(out).length }));
