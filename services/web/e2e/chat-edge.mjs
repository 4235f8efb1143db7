// A small front for the browser test when the edge it is given does not route the chat service
// yet: `/api/v1/chat/…` (REST and the WebSocket upgrade) goes to moji-chat, everything else to
// the edge, on one origin, the way deploy/nginx does it. Started (and stopped) by
// scripts/web-e2e.sh only in that case; prints `listening <port>` once it accepts connections.
//
//   node chat-edge.mjs --edge http://127.0.0.1:8080 --chat http://127.0.0.1:8082

import http from 'node:http';
import net from 'node:net';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const edge = new URL(args.edge ?? 'http://127.0.0.1:8080');
const chat = new URL(args.chat ?? 'http://127.0.0.1:8082');
const port = Number(args.port ?? 0);

const target = (url) => (url.startsWith('/api/v1/chat/') || url === '/api/v1/chat' ? chat : edge);

const server = http.createServer((req, res) => {
  const to = target(req.url);
  const up = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.rawHeaders);
    answer.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('bad gateway');
  });
  req.pipe(up);
});

server.on('upgrade', (req, socket, head) => {
  const to = target(req.url);
  const up = net.connect(Number(to.port), to.hostname, () => {
    let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    up.write(`${raw}\r\n`);
    if (head?.length) up.write(head);
    up.pipe(socket);
    socket.pipe(up);
  });
  const drop = () => {
    up.destroy();
    socket.destroy();
  };
  up.on('error', drop);
  socket.on('error', drop);
  up.on('close', () => socket.destroy());
  socket.on('close', () => up.destroy());
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
