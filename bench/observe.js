// observe.js: what observability costs when it is on: the blocking watchdog (GREENSTACK_MONITOR_MS=100) on the sleep(0) round trip and the echo server, each beside the same run with it off.
//
// Each variant runs in a fresh process, alternating on/off, 3 runs each; the median is
// reported. BENCH_OBSERVE_SMOKE=1 shrinks every size (to check the file works, not to measure).
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { SCRIPT_PRELUDE, median, runFresh } = require('./_util.js');

const SMOKE = process.env.BENCH_OBSERVE_SMOKE === '1';
const FIX = path.join(__dirname, 'net-fixtures');
const RUNS = SMOKE ? 1 : 3;
const ECHO_CONNS = SMOKE ? 4 : 100;
const ECHO_SECONDS = SMOKE ? 1 : 2;
const ON = { GREENSTACK_MONITOR_MS: '100' };
const OFF = { GREENSTACK_MONITOR_MS: '0' };

// A fiber looping on sleep(0): one switch and one hub turn per step (the hub's
// observing check, the watchdog thread sampling the loop meanwhile).
const roundTrip = `${SCRIPT_PRELUDE}
const g = require(DIST + '/index.js');
const N = ${SMOKE ? 200 : 2000}, B = ${SMOKE ? 3 : 15};
g.spawn(() => {
  for (let i = 0; i < 500; i++) g.sleep(0);
  const per = [];
  for (let b = 0; b < B; b++) { const t = now(); for (let i = 0; i < N; i++) g.sleep(0); per.push(Number(now() - t) / N / 1000); }
  console.log(JSON.stringify({ median: median(per) }));
});
`;

function firstJson(proc) {
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
    });
    proc.once('exit', (code) => reject(new Error(`exited with ${code} before printing`)));
  });
}

async function echo(env) {
  const server = spawn(process.execPath, [path.join(FIX, 'echo-server-gs.js')], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const { port } = await firstJson(server);
    const client = spawn(process.execPath, [path.join(FIX, 'echo-client.js'), port, ECHO_CONNS, 64, ECHO_SECONDS], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      return (await firstJson(client)).rate;
    } finally {
      client.kill('SIGKILL');
    }
  } finally {
    server.kill('SIGKILL');
  }
}

async function run() {
  const rt = { on: [], off: [] };
  const ec = { on: [], off: [] };
  for (let i = 0; i < RUNS; i++) {
    rt.off.push(runFresh(roundTrip, { env: OFF }).median);
    rt.on.push(runFresh(roundTrip, { env: ON }).median);
    ec.off.push(await echo(OFF));
    ec.on.push(await echo(ON));
  }
  const on = median(rt.on);
  const off = median(rt.off);
  const eon = median(ec.on);
  const eoff = median(ec.off);
  return [
    { name: 'sleep(0) round trip, watchdog on (100 ms)', value: on, unit: 'us', peer: 'watchdog off', peerValue: off, ratio: on / off, target: '<= 1.02x' },
    { name: `echo ${ECHO_CONNS} conns x 64 B, watchdog on (100 ms)`, value: eon, unit: 'msgs/s', peer: 'watchdog off', peerValue: eoff, ratio: eon / eoff, target: '>= 0.98x' },
  ];
}

module.exports = { run };

if (require.main === module) {
  run().then(
    (rows) => console.log(JSON.stringify(rows, null, 1)),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
