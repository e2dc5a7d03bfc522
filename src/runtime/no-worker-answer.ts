// The monitor's own answers while the crash-loop breaker holds the worker back (it has no HTTP
// server of its own): /metrics with a valid token gets the monitor's figures, so a scrape still
// says what happened; the dashboard gets its page and, for a valid session, a 503 with the
// monitor's figures (no-worker-dashboard.ts); everything else gets a 503 with when it tries again.
import type { Socket } from 'node:net';
import { tokenMatches } from '../gateway/token.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics-text.js';
import { monitorOnlyFamilies, type MonitorStats } from './monitor-metrics.js';
import { dashboardWithoutWorker } from './no-worker-dashboard.js';

/** A request head larger than this, or slower than the deadline, gets the 503. */
const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_DEADLINE_MS = 2_000;

export interface MonitorAnswerContext {
  readonly token: string;
  readonly stats: () => MonitorStats;
}

function write(socket: Socket, status: string, headers: readonly string[], body: string | Buffer): void {
  socket.on('error', () => { /* the client may already be gone */ });
  socket.write([`HTTP/1.1 ${status}`, ...headers, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`, '', ''].join('\r\n'));
  socket.end(body);
}

function unavailable(socket: Socket, until: number): void {
  const retryAfterS = Math.max(1, Math.ceil((until - Date.now()) / 1000));
  const body = JSON.stringify({ error: { code: 'crash_loop', message: `the worker keeps crashing; the next try is at ${new Date(until).toISOString()}` } });
  write(socket, '503 Service Unavailable', ['Content-Type: application/json; charset=utf-8', `Retry-After: ${retryAfterS}`], body);
}

/** An authorized GET /metrics, judged from the request head alone. */
export function isMetricsScrape(head: string, token: string): boolean {
  const [requestLine = '', ...headerLines] = head.split('\r\n');
  if (!/^GET \/metrics(\?\S*)? HTTP\/1\.[01]$/.test(requestLine)) return false;
  const authorization = headerLines.find((line) => /^authorization:/i.test(line))?.slice('authorization:'.length).trim();
  const presented = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
  return tokenMatches(presented, token);
}

/** Answer one connection while no worker can: metrics for an authorized scrape, else 503 crash_loop. */
export function answerWithoutWorker(socket: Socket, until: number, context: MonitorAnswerContext | null): void {
  if (context === null) {
    unavailable(socket, until);
    return;
  }
  let head = '';
  const finish = (requestHead: string | null): void => {
    clearTimeout(timer);
    socket.removeAllListeners('data');
    if (requestHead !== null && isMetricsScrape(requestHead, context.token)) {
      write(socket, '200 OK', [`Content-Type: ${METRICS_CONTENT_TYPE}`], renderMetrics(monitorOnlyFamilies(context.stats())));
      return;
    }
    const dashboard = requestHead === null ? null : dashboardWithoutWorker(requestHead, socket, until, context.token, context.stats());
    if (dashboard !== null) write(socket, dashboard.status, dashboard.headers, dashboard.body);
    else unavailable(socket, until);
  };
  const timer = setTimeout(() => finish(null), HEAD_DEADLINE_MS);
  socket.on('error', () => clearTimeout(timer));
  socket.on('data', (chunk: Buffer) => {
    head += chunk.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end >= 0) finish(head.slice(0, end));
    else if (head.length > MAX_HEAD_BYTES) finish(null);
  });
  socket.resume();
}
