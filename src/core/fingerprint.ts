// fingerprint.ts: identifies the running Node build (for the `auto` backend's list of tested builds); needs no native addon.
import { createHash } from 'node:crypto';
import fs = require('node:fs');

// node's own, before patch mode can replace it.
const statSync = fs.statSync;

/**
 * This Node build, as TESTED_BUILDS records it: version, V8, platform, the size of the
 * executable (a stripped or rebuilt binary differs) and a hash of its build config.
 * Cheap: one stat. GREENSTACK_TEST_FINGERPRINT replaces it (tests only).
 */
export function buildFingerprint(): string {
  const forced = process.env.GREENSTACK_TEST_FINGERPRINT;
  if (forced !== undefined && forced !== '') return forced;
  let size = -1;
  try {
    size = statSync(process.execPath).size;
  } catch {
    // An executable we cannot stat is not a tested one.
  }
  const config = createHash('sha256').update(JSON.stringify(process.config)).digest('hex').slice(0, 16);
  return `node ${process.version} v8 ${process.versions.v8} ${process.platform}-${process.arch} binary ${size} config ${config}`;
}

