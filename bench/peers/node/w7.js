// W7 peer: Node's http.createServer. GET / answers "Hello, World!\n",
// GET /16k 16,384 bytes, Content-Length set, on 127.0.0.1:PORT until
// SIGTERM.
//
// Usage: node w7.js PORT
'use strict';
const http = require('http');

const hello = Buffer.from('Hello, World!\n');
const big = Buffer.alloc(16384, 'x');

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': hello.length });
    res.end(hello);
  } else if (req.method === 'GET' && req.url === '/16k') {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': big.length });
    res.end(big);
  } else {
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
  }
});
server.keepAliveTimeout = 0;
server.listen(Number(process.argv[2]), '127.0.0.1', 1024);
process.on('SIGTERM', () => { server.close(); process.exit(0); });
