// Talking to the service under test on 127.0.0.1: a free port, one health probe, waiting for a first 200.
import { request } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { now } from './clock.js';

export const HOST = '127.0.0.1';
/** How long any start (bare node, gatehouse, pm2) may take to answer its first 200. */
export const START_TIMEOUT_MS = 30_000;

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** One GET /healthz on a fresh connection; the status, or null when nothing answered. */
function probe(url: string, timeoutMs = 500): Promise<number | null> {
  return new Promise((resolveStatus) => {
    const req = request(`${url}/healthz`, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? null));
      res.on('error', () => resolveStatus(null));
    });
    req.on('timeout', () => { req.destroy(); resolveStatus(null); });
    req.on('error', () => resolveStatus(null));
    req.end();
  });
}

/** Poll /healthz every few ms until a 200; the time of that answer, or null past the deadline. */
export async function first200(url: string, timeoutMs: number, exited?: () => boolean): Promise<number | null> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    if ((await probe(url)) === 200) return now();
    if (exited?.() === true) return null;
    await sleep(5);
  }
  return null;
}
