// express-async.js: express-blocking.js rewritten with async/await (fs.promises.readFile, a promisified exec): the peer a user would otherwise write.
'use strict';
const fs = require('fs');
const path = require('path');
const { promisify } = require('util');
const exec = promisify(require('child_process').exec);
const express = require('express');

const app = express();
app.use(express.static(path.join(__dirname, 'public')));
app.use(express.json());
app.get('/work', async (req, res, next) => {
  try {
    const source = await fs.promises.readFile(__filename, 'utf8');
    await exec('sleep 0.05');
    res.json({ bytes: source.length });
  } catch (err) {
    next(err);
  }
});
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
