// tap-in-fibers.js: a preload (node -r) that runs the body of every tap test and subtest in a fiber of its own, test files unmodified.
'use strict';
const Module = require('node:module');
const { spawn } = require('greenstack');

let wrapped = false;
const load = Module._load;
Module._load = function (request, ...rest) {
  const exports = load.call(this, request, ...rest);
  if (request === 'tap' && !wrapped) {
    wrapped = true;
    // Test.prototype.test(name?, options?, body?) is behind t.test(); the root
    // object also has its own bound copy behind tap.test().
    exports.Test.prototype.test = inFibers(exports.Test.prototype.test);
    if (Object.hasOwn(exports, 'test')) exports.test = inFibers(exports.test);
  }
  return exports;
};

function inFibers(test) {
  return function (...args) {
    const i = args.findIndex((a) => typeof a === 'function');
    if (i >= 0) {
      const body = args[i];
      const name = body.name || 'body';
      args[i] = {
        [name](t) {
          // The body's t.end() (or plan) ends the test, as under node; an error the
          // fiber dies with fails the test as a synchronous throw would.
          spawn(() => body.call(this, t)).then(null, (err) => t.threw(err));
        },
      }[name];
    }
    return test.apply(this, args);
  };
}
