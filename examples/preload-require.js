// preload-require.js: an unmodified CommonJS app made cooperative by `node -r greenstack/patch examples/preload-require.js`.
//
// It uses plain require('child_process') and require('fs'): the preload patched
// them before the app loaded, so inside fibers their *Sync calls park only the
// calling fiber. Five 200 ms commands therefore take about 200 ms, not 1 s.
'use strict';
const { execSync } = require('child_process');
const fs = require('fs');
const { spawn, isPatched } = require('greenstack');

console.log(`patched: fs=${isPatched('fs')} child_process=${isPatched('child_process')}`);
const started = Date.now();
const jobs = [1, 2, 3, 4, 5].map((n) =>
  spawn(() => {
    const out = execSync(`sleep 0.2; echo job ${n}`, { encoding: 'utf8' }).trim();
    const size = fs.statSync(__filename).size;
    return `${out} (read ${size} bytes of source)`;
  }),
);
// The top level of a -r app is not a fiber: wait for the fibers as a promise does.
Promise.all(jobs).then((lines) => {
  for (const line of lines) console.log(line);
  console.log(`5 x 200 ms commands in ${Date.now() - started} ms`);
});
