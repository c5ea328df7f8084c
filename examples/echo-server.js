// echo-server.js: a TCP echo server in blocking style: greenstack/net's StreamServer runs each connection's handler in its own fiber.
//
//   node examples/echo-server.js [port]      then: nc 127.0.0.1 7000
//   node examples/echo-server.js --demo      starts it, runs three clients, stops it
'use strict';
const { spawn, joinAll } = require('greenstack');
const net = require('greenstack/net');

// One connection, straight-line code: read what comes, write it back, until EOF.
function echo(sock, address) {
  let chunk;
  while ((chunk = sock.readSync()) !== null) sock.writeSync(chunk);
  // Returning closes the connection (after what was written is sent).
  return address;
}

const server = new net.StreamServer(echo, {
  pool: 10_000, // at most this many handlers at once; more connections wait their turn
  onError: (err, sock, address) => console.error(`connection ${address && address.port} failed:`, err.message),
});

function demo() {
  server.start(0, '127.0.0.1'); // in a fiber: returns once bound
  const { port } = server.address();
  console.log(`echo server on 127.0.0.1:${port}`);
  const clients = ['one', 'two', 'three'].map((word) =>
    spawn(() => {
      const sock = net.connectSync(port, '127.0.0.1');
      sock.writeSync(`${word}\n`);
      const line = sock.readLineSync({ encoding: 'utf8' });
      sock.endSync();
      sock.destroy();
      return line;
    }),
  );
  for (const f of joinAll(clients)) console.log('client got back:', f.value);
  server.stop();
  console.log('stopped');
}

if (process.argv[2] === '--demo') {
  spawn(demo);
} else {
  const port = Number(process.argv[2] || 7000);
  spawn(() => {
    server.start(port, '127.0.0.1');
    console.log(`echo server on 127.0.0.1:${port} (Ctrl-C stops it)`);
    server.serveForever();
  });
  process.on('SIGINT', () => server.stop({ timeout: 1000 })); // from the hub: stops in the background
}
