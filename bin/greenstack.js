#!/usr/bin/env node
// greenstack CLI entry: runs an unmodified program inside a main fiber (see src/cli.ts).
'use strict';
require('../dist/patch/cli.js');
