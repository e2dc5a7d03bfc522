// The dashboard's HTTP routes, served by the worker (it has the store, the dispatcher and the
// channels: everything the page shows and the only process that may change the outbox). While a
// worker is being replaced the monitor holds new connections until the next one is ready, so the
// page just waits; while the crash-loop breaker holds workers back, the monitor serves the page
// and answers a session's data requests with 503 crash_loop and its own figures
// (runtime/no-worker-dashboard.ts), and the page keeps its last data and says the worker is down.
// See auth.ts for the login code, the cookie and the session key.
//   GET  /dashboard/ (+ app.js, charts.js, app.css)  the page; no data in it, served to anyone on loopback
//   POST /dashboard/api/login {code}                  one-time code -> cookie + session key
//   GET  /dashboard/api/{overview,sessions,sessions/ID,queues,timeline,charts}
//   POST /dashboard/api/dead-letters/CHANNEL/SEQ/{retry,discard}, /dashboard/api/logout
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readBody, send } from '../http-api.js';
import { asset, SECURITY_HEADERS } from './assets.js';
import {
  checkSession, clearCookieHeader, cookieName, LoginCodes, loopbackHost, loopbackPeer, newSession, readCookie, sameOrigin, SESSION_HEADER,
  sessionKey, setCookieHeader, type IssuedCode,
} from './auth.js';
import { charts, deadLetterAction, overview, queues, session, sessions, timeline, type DashboardSources } from './data.js';

const ACTION = /^\/dashboard\/api\/dead-letters\/([^/]+)\/(\d{1,15})\/(retry|discard)$/;
const SESSION = /^\/dashboard\/api\/sessions\/([^/]+)$/;

export interface DashboardDeps {
  readonly token: string;
  readonly sources: DashboardSources;
  /** Told of refused logins and of every dead-letter action (never with a code or a key). */
  readonly note: (message: string, fields: Record<string, unknown>) => void;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, body, { ...SECURITY_HEADERS, ...headers });
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'bad_path', 'not valid percent-encoded UTF-8');
  }
}

export class DashboardRoutes {
  private readonly codes = new LoginCodes();
  private readonly key: Buffer;

  constructor(private readonly deps: DashboardDeps) {
    this.key = sessionKey(deps.token);
  }

  /** For `gatehouse dashboard`, through the token-authenticated API. */
  issueCode(): IssuedCode {
    return this.codes.issue();
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const port = req.socket.localPort ?? 0;
    if (!loopbackPeer(req.socket.remoteAddress)) throw new HttpError(403, 'not_loopback', 'the dashboard is served to this machine only');
    if (!loopbackHost(req.headers.host, port)) {
      throw new HttpError(421, 'bad_host', `the dashboard answers only as 127.0.0.1:${port}, localhost:${port} or [::1]:${port}`);
    }
    if (url.pathname === '/dashboard') {
      res.writeHead(308, { location: '/dashboard/', ...SECURITY_HEADERS }).end();
      return;
    }
    if (!url.pathname.startsWith('/dashboard/api/')) return this.page(req, res, url.pathname);
    const post = req.method === 'POST';
    if (!post && req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET or POST');
    // Browsers send Origin on every POST: a page of another origin cannot log in or act.
    if (post && !sameOrigin(req.headers.origin, req.headers.host)) throw new HttpError(403, 'cross_origin', 'a dashboard action must come from the dashboard page itself');
    if (url.pathname === '/dashboard/api/login' && post) return this.login(req, res, port);
    const header = req.headers[SESSION_HEADER];
    if (checkSession(this.key, readCookie(req.headers.cookie, cookieName(port)), typeof header === 'string' ? header : undefined) === null) {
      json(res, 401, { error: { code: 'unauthorized', message: 'no dashboard session: run `gatehouse dashboard` for a new login link' } });
      return;
    }
    if (post) return this.act(req, res, url.pathname, port);
    return this.read(res, url.pathname);
  }

  private page(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET');
    const found = asset(pathname);
    if (found === null) throw new HttpError(404, 'not_found', `no dashboard file ${pathname}`);
    res.writeHead(200, { 'content-type': found.type, 'content-length': found.body.length, ...SECURITY_HEADERS });
    res.end(found.body);
  }

  private async login(req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
    let code: unknown;
    try {
      code = (JSON.parse(await readBody(req)) as { code?: unknown }).code;
    } catch {
      throw new HttpError(400, 'bad_json', 'expected {"code": "<login code>"}');
    }
    const verdict = typeof code === 'string' ? this.codes.redeem(code) : 'unknown';
    if (verdict !== 'ok') {
      this.deps.note('dashboard login refused', { reason: verdict });
      const message = verdict === 'expired' ? 'this login link has expired' : 'this login link is not valid (each works once)';
      json(res, 401, { error: { code: `login_${verdict}`, message: `${message}: run \`gatehouse dashboard\` for a new one` } });
      return;
    }
    const created = newSession(this.key);
    json(res, 200, { sessionKey: created.headerKey, expiresAt: new Date(created.expiresAt).toISOString() }, { 'set-cookie': setCookieHeader(cookieName(port), created) });
  }

  private async act(req: IncomingMessage, res: ServerResponse, pathname: string, port: number): Promise<void> {
    await readBody(req); // no body is needed; read it so the connection stays usable
    if (pathname === '/dashboard/api/logout') {
      json(res, 200, { ok: true }, { 'set-cookie': clearCookieHeader(cookieName(port)) });
      return;
    }
    const match = ACTION.exec(pathname);
    if (match === null) throw new HttpError(404, 'not_found', `no dashboard action ${pathname}`);
    const channel = decode(match[1] ?? '');
    const seq = Number(match[2]);
    const action = match[3] === 'retry' ? 'retry' : 'discard';
    const outcome = deadLetterAction(this.deps.sources, channel, seq, action);
    this.deps.note(`dashboard: ${action} of dead letter ${seq} on ${channel}: ${outcome}`, { channel, seq, action, outcome });
    if (outcome === 'done') json(res, 200, { ok: true, action, channel, seq });
    else if (outcome === 'not_dead') json(res, 409, { error: { code: 'not_dead', message: `part ${seq} is no longer a dead letter (already retried or discarded?)` } });
    else json(res, 404, { error: { code: outcome, message: outcome === 'no_channel' ? `no channel ${channel}` : `no outbox part ${seq} on ${channel}` } });
  }

  private async read(res: ServerResponse, pathname: string): Promise<void> {
    const s = this.deps.sources;
    const sessionMatch = SESSION.exec(pathname);
    if (sessionMatch !== null) {
      const found = session(s, decode(sessionMatch[1] ?? ''));
      if (found === null) throw new HttpError(404, 'not_found', 'no such session');
      return json(res, 200, found);
    }
    switch (pathname) {
      case '/dashboard/api/overview': return json(res, 200, await overview(s));
      case '/dashboard/api/sessions': return json(res, 200, sessions(s));
      case '/dashboard/api/queues': return json(res, 200, queues(s));
      case '/dashboard/api/timeline': return json(res, 200, timeline(s));
      case '/dashboard/api/charts': return json(res, 200, charts(s));
      default: throw new HttpError(404, 'not_found', `no dashboard route ${pathname}`);
    }
  }
}
