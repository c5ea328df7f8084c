// async.js: the idiomatic async/await rewrite of plain.js, 32 files in flight (bench/stdlib.js).
'use strict';
const fs = require('fs/promises');
const path = require('path');
const zlib = require('zlib');
const { promisify } = require('util');
const { exec } = require('child_process');

const gzip = promisify(zlib.gzip);
const execAsync = promisify(exec);

async function main() {
  const [src, out] = process.argv.slice(2);
  const files = (await fs.readdir(src)).sort();

  async function buildOne(name) {
    const data = await fs.readFile(path.join(src, name));
    const packed = await gzip(data);
    await fs.writeFile(path.join(out, `${name}.gz`), packed);
    return packed.length;
  }

  let next = 0;
  async function worker() {
    while (next < files.length) await buildOne(files[next++]);
  }
  await Promise.all(Array.from({ length: 32 }, worker));
  for (let i = 0; i < 20; i++) await execAsync('exit 0');
  console.log(JSON.stringify({ files: files.length, bytes: (await fs.readdir(out)).length }));
}

main();
