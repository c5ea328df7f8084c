// express-blocking.js: the bench's Express app in blocking style: static middleware and express.json() in front of a handler that calls readFileSync and execSync('sleep 0.05'). Unmodified: run under plain node or the greenstack CLI.
'use strict';
const fs = require('fs');
const path = require('path');
const { execSync } = require('child_process');
const express = require('express');

const app = express();
app.use(express.static(path.join(__dirname, 'public')));
app.use(express.json());
app.get('/work', (req, res) => {
  const source = fs.readFileSync(__filename, 'utf8');
  execSync('sleep 0.05');
  res.json({ bytes: source.length });
});
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
