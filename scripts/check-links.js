#!/usr/bin/env node
// scripts/check-links.js: every relative link in the project's markdown files ("](path)", "](path#anchor)", "](#anchor)") resolves to a file and, with an anchor, to a heading or id in it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// Build outputs, dependencies and caches are not the project's documents.
const SKIP = new Set(['node_modules', 'dist', 'dist-test', 'build', 'prebuilds', '.cache', '.git']);

function markdownFiles(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) markdownFiles(p, out);
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out;
}

// Lines outside fenced code blocks, with inline code spans blanked (a "](" there is not a link).
function proseLines(text) {
  let fence = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) { fence = !fence; return ''; }
    return fence ? '' : line.replace(/`[^`]*`/g, (m) => ' '.repeat(m.length));
  });
}

// GitHub's heading anchors: the rendered text, lower-cased, punctuation dropped, spaces to '-';
// a repeated anchor gets -1, -2, ...
function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')   // links and images: their text
    .replace(/<[^>]+>/g, '')                     // inline HTML tags
    .replace(/[`*]/g, '');
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

const anchorCache = new Map();
function anchorsOf(file) {
  if (anchorCache.has(file)) return anchorCache.get(file);
  const anchors = new Set();
  const seen = new Map();
  let fence = false;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) { fence = !fence; continue; }
    if (fence) continue;
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

const problems = [];
const files = markdownFiles(root);
for (const file of files) {
  const lines = proseLines(fs.readFileSync(file, 'utf8'));
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;    // http:, https:, mailto: ...
      const hash = target.indexOf('#');
      const rel = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? '' : decodeURIComponent(target.slice(hash + 1));
      const where = `${path.relative(root, file)}:${i + 1}`;
      const dest = rel === '' ? file : path.resolve(path.dirname(file), rel);
      if (!fs.existsSync(dest)) { problems.push(`${where}: ${target}: no such file`); continue; }
      if (anchor === '') continue;
      if (!dest.endsWith('.md') || fs.statSync(dest).isDirectory()) continue;
      if (!anchorsOf(dest).has(anchor)) problems.push(`${where}: ${target}: no heading or id "${anchor}" in ${path.relative(root, dest)}`);
    }
  });
}
for (const p of problems) console.error(p);
(problems.length === 0 ? console.log : console.error)(`check-links: ${files.length} markdown files, ${problems.length} broken link(s)`);
process.exitCode = problems.length === 0 ? 0 : 1;
