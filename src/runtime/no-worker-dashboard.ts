// The dashboard while the crash-loop breaker holds workers back: the monitor serves the page's own
// files (so a reload still shows the page) and answers a data request of a valid dashboard session
// with 503 crash_loop plus its own figures (restarts, crashes, when it tries next), so the page can
// say the worker is down and what happened instead of going blank. It checks the same signed
// session as the worker (the key is derived from the token both hold) and the same Host and peer
// rules; without a session it answers 401, as the worker does. Only request heads are read here.
import type { Socket } from 'node:net';
import { asset, SECURITY_HEADERS } from '../gateway/dashboard/assets.js';
import { checkSession, cookieName, loopbackHost, loopbackPeer, readCookie, SESSION_HEADER, sessionKey } from '../gateway/dashboard/auth.js';
import type { MonitorStats } from './monitor-metrics.js';

export interface RawAnswer {
  readonly status: string;
  readonly headers: readonly string[];
  readonly body: string | Buffer;
}

interface Head {
  readonly method: string;
  readonly path: string;
  readonly headers: ReadonlyMap<string, string>;
}

function parseHead(head: string): Head | null {
  const [requestLine = '', ...lines] = head.split('\r\n');
  const match = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(requestLine);
  if (match === null) return null;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const at = line.indexOf(':');
    if (at > 0) headers.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim());
  }
  return { method: match[1] ?? '', path: (match[2] ?? '').split(/[?#]/)[0] ?? '', headers };
}

const securityHeaders = Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`);

function json(status: string, body: unknown, extra: readonly string[] = []): RawAnswer {
  return { status, headers: ['Content-Type: application/json; charset=utf-8', ...securityHeaders, ...extra], body: JSON.stringify(body) };
}

const error = (status: string, code: string, message: string): RawAnswer => json(status, { error: { code, message } });

/** The monitor's answer to a dashboard request, or null when the request is not for the dashboard. */
export function dashboardWithoutWorker(rawHead: string, socket: Socket, until: number, token: string, stats: MonitorStats): RawAnswer | null {
  const head = parseHead(rawHead);
  if (head === null || !(head.path === '/dashboard' || head.path.startsWith('/dashboard/'))) return null;
  const port = socket.localPort ?? 0;
  if (!loopbackPeer(socket.remoteAddress)) return error('403 Forbidden', 'not_loopback', 'the dashboard is served to this machine only');
  if (!loopbackHost(head.headers.get('host'), port)) return error('421 Misdirected Request', 'bad_host', `the dashboard answers only as 127.0.0.1:${port}, localhost:${port} or [::1]:${port}`);
  if (!head.path.startsWith('/dashboard/api/')) {
    const file = head.method === 'GET' ? asset(head.path) : null;
    return file === null ? error('404 Not Found', 'not_found', `no dashboard file ${head.path}`) : { status: '200 OK', headers: [`Content-Type: ${file.type}`, ...securityHeaders], body: file.body };
  }
  const nextTry = new Date(until).toISOString();
  if (head.path === '/dashboard/api/login') return error('503 Service Unavailable', 'crash_loop', `logging in needs a worker, and the worker keeps crashing; the monitor tries again at ${nextTry}`);
  const session = checkSession(sessionKey(token), readCookie(head.headers.get('cookie'), cookieName(port)), head.headers.get(SESSION_HEADER));
  if (session === null) return error('401 Unauthorized', 'unauthorized', 'no dashboard session: run `gatehouse dashboard` for a new login link');
  const retryAfterS = Math.max(1, Math.ceil((until - Date.now()) / 1000));
  return json('503 Service Unavailable', {
    error: { code: 'crash_loop', message: `the worker keeps crashing; the monitor tries again at ${nextTry}` },
    monitor: {
      startedAt: new Date(stats.startedAtMs).toISOString(), restarts: stats.restarts, crashes: stats.crashes,
      breakerOpen: stats.breakerOpen, breakerOpens: stats.breakerOpens, workerUp: stats.workerUp, nextTryAt: nextTry,
    },
  }, [`Retry-After: ${retryAfterS}`]);
}
