// fibers-app.js: unmodified node-fibers code (require('fibers'), Future): run it with `greenstack --fibers`, which maps 'fibers' to greenstack/fibers.
//
//   npx greenstack --fibers examples/fibers-app.js
'use strict';
const Fiber = require('fibers');
const Future = require('fibers/future');

// A callback API turned into a blocking call, the node-fibers way.
function sleep(ms) {
  const fiber = Fiber.current;
  setTimeout(() => fiber.run(), ms);
  Fiber.yield();
}

const readLater = (value, ms) => {
  const f = new Future();
  setTimeout(() => f.return(value), ms);
  return f;
};

Fiber(() => {
  sleep(10);
  const [a, b] = [readLater('fibers', 20), readLater('future', 10)].map((f) => f.wait());
  console.log(`node-fibers code ran on greenstack: ${a} + ${b}`);
}).run();
