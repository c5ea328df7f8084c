#!/usr/bin/env node
// fingerprint.js: prints the running Node build's fingerprint, the string src/core/tested-builds.ts lists (run it with each Node CI tests on).
'use strict';
console.log(require('../dist/core/fingerprint.js').buildFingerprint());
