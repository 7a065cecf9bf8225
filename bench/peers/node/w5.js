'use strict';
// W5 TCP echo server (docs/workloads.md): net.createServer({noDelay: true}),
// 'data' -> write.
//
// Usage: node w5.js PORT
//
// Listens on 127.0.0.1:PORT (backlog 1024) and serves until SIGTERM.
const net = require('net');
const { intArg, fail } = require('./common');

const port = intArg(0, 8888);
const server = net.createServer({ noDelay: true }, (sock) => {
  sock.on('data', (d) => sock.write(d));
  sock.on('error', () => sock.destroy());
});
server.on('error', (e) => fail('listen: ' + e.message));
server.listen({ port, host: '127.0.0.1', backlog: 1024 });
process.on('SIGTERM', () => process.exit(0));
