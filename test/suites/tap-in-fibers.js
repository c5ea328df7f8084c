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
    wrapTest(exports.Test);
  }
  return exports;
};

// Test.prototype.test(name?, options?, body?) is behind tap.test() and t.test().
function wrapTest(Test) {
  const test = Test.prototype.test;
  Test.prototype.test = function (...args) {
    const i = args.findIndex((a) => typeof a === 'function');
    if (i >= 0) {
      const body = args[i];
      args[i] = {
        [body.name || 'body'](t) {
          // The body's t.end() (or plan) ends the test, as under node; an error the
          // fiber dies with fails the test as a synchronous throw would.
          spawn(() => body.call(this, t)).then(null, (err) => t.threw(err));
        },
      }[body.name || 'body'];
    }
    return test.apply(this, args);
  };
}
