// leaks.ts: the after-each check every test file uses: no live fiber, busy carrier, or new fd.
import * as fs from 'node:fs';
import type { TestFn } from 'ava';
import { liveFibers, runtimeStats } from '../../dist/core/internal.js';

// Node's crypto opens OpenSSL's config and CA bundle once per process, lazily and off
// the main thread (even crypto.randomBytes does): an fd of that one-time init, caught
// open, is not a leak of the test's.
const OPENSSL_INIT = /^\/etc\/ssl\//;

function openFds(): number {
  let n = 0;
  for (const target of fdTargets().values()) if (!OPENSSL_INIT.test(target)) n++;
  return n;
}

// What each open fd is (socket:[inode], pipe:[inode], a path), for the failure message.
function fdTargets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      out.set(fd, fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed meanwhile (the readdir's own fd)
    }
  }
  return out;
}

/** Counts the process's OS threads (carriers included). */
export function threadCount(): number {
  return fs.readdirSync('/proc/self/task').length;
}

/**
 * Installs hooks so each test must leave no fiber alive, no carrier busy and no
 * extra fd. Tests in a file that uses it run serially so counts are per test.
 */
export function checkLeaks(test: TestFn): void {
  let fds = 0;
  let before = new Map<string, string>();
  test.beforeEach(() => {
    fds = openFds();
    before = fdTargets();
  });
  test.afterEach.always(async (t) => {
    // Let the hub run links, timers and closes that the test's last step queued
    // (polled, so a loaded machine gets up to 5 s and an idle one waits not at all).
    const deadline = Date.now() + 5000;
    while ((liveFibers() > 0 || openFds() > fds) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const stats = runtimeStats();
    t.is(liveFibers(), 0, 'a fiber is still alive');
    t.is(stats.suspended, 0, 'a fiber is still suspended');
    t.is(stats.carriers, stats.idleCarriers, 'a carrier thread is still busy');
    if (openFds() > fds) {
      const added = [...fdTargets()].filter(([fd, target]) => before.get(fd) !== target).map(([fd, target]) => `${fd} -> ${target}`);
      t.fail(`fds leaked: ${openFds()} open, ${fds} before; new: ${added.join(', ')}`);
    }
  });
}
