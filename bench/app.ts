// The trivial app (Gatehouse's routes, nothing else) that `node app.js` and PM2 run, and its writer.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Written at run time into a temporary directory with its own CommonJS package.json, so the
// repository's "type": "module" does not apply and PM2 runs it as a plain script.
const APP_SOURCE = `'use strict';
// A trivial HTTP app with Gatehouse's routes, for the benchmark's floor and for PM2.
const http = require('node:http');
let n = 0;
function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return send(res, 200, { ok: true, pid: process.pid });
  if (req.method === 'POST' && /^\\/v1\\/sessions\\/[^/]+\\/messages$/.test(req.url || '')) {
    req.resume();
    req.on('end', () => send(res, 202, { messageId: process.pid + '-' + (++n) }));
    return;
  }
  send(res, 404, { error: { code: 'not_found' } });
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT), '127.0.0.1');
// PM2's documented graceful shutdown: stop accepting, let in-flight requests finish, then exit.
process.on('SIGINT', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 1000).unref();
});
`;

export function writeApp(dir: string): string {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-app', private: true, type: 'commonjs' }));
  const file = join(dir, 'app.js');
  writeFileSync(file, APP_SOURCE);
  return file;
}
