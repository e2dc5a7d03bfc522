// The HTTP API. Every route but /healthz needs `Authorization: Bearer <token>`. Errors are JSON:
// {"error": {"code", "message"}}.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { METRICS_CONTENT_TYPE } from '../runtime/metrics-text.js';
import { tokenMatches } from './token.js';
import { NEW_CONTEXT_COMMAND, type Dispatcher } from './dispatcher.js';
import { acceptMessage as acceptInput, checkIdempotencyKey, checkSessionId, checkText, type InputError } from './accept.js';
import type { SessionStore, StoredMessage } from './store.js';
import type { DashboardRoutes } from './dashboard/routes.js';
import { classifyStoreError, type StoreHealth } from './store-errors.js';

const { createServer } = process.getBuiltinModule('node:http');

const MAX_BODY_BYTES = 1024 * 1024;
const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024;
const RETRY_AFTER_S = '2';
/** A full disk or a read-only file is not fixed in two seconds; a lock usually is (the busy wait was 5 s). */
const STORE_RETRY_AFTER_S = '10';
/** A client gets this long to send a request's headers (a slow-header client is cut, with 408). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** ... and this long for the whole request, body included (1 MiB over loopback takes milliseconds). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this long (and clients are told so). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often Node checks the two timeouts above: the longest a late client can outstay them. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export interface ApiIdentity {
  /** The monitor's pid and instance: the gateway as the outside world knows it. */
  readonly pid: number;
  readonly instance: string;
}

export interface ApiDeps {
  readonly token: string;
  readonly identity: ApiIdentity;
  readonly store: SessionStore;
  readonly dispatcher: Dispatcher;
  /** True while this worker hands over to a new one: every answer closes its connection. */
  readonly closing: () => boolean;
  /** Ask the monitor to replace the worker (or, full, the monitor too). */
  readonly requestRestart: (full: boolean) => void;
  /** The Prometheus exposition for GET /metrics. */
  readonly metrics?: () => Promise<string>;
  /** Told of every storage failure (503) and every committed message, for `status --deep`. */
  readonly storeHealth?: StoreHealth;
  /** The local dashboard (/dashboard/, with its own login), and its login codes for /v1/dashboard/login-codes. */
  readonly dashboard?: DashboardRoutes;
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Read a body of at most MAX_BODY_BYTES. A larger one is read to its end and discarded, so the
 * client gets its 413 instead of a reset connection; past DISCARD_LIMIT_BYTES the connection is cut.
 */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_LIMIT_BYTES) req.destroy();
      else if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new HttpError(413, 'too_large', `body over ${MAX_BODY_BYTES} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

const refused = (error: InputError): HttpError => new HttpError(error.tooLarge === true ? 413 : 400, error.code, error.message);

function parseMessageBody(raw: string): string {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'bad_json', 'body is not valid JSON');
  }
  const text = typeof body === 'object' && body !== null ? (body as { text?: unknown }).text : undefined;
  const error = checkText(text);
  if (error !== null) throw refused(error);
  return text as string;
}

/** The Idempotency-Key header, validated; undefined when the client sent none. */
function idempotencyKey(req: IncomingMessage): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const error = checkIdempotencyKey(raw);
  if (error !== null) throw refused(error);
  return raw as string;
}

function sendDraining(res: ServerResponse): void {
  send(res, 503, { error: { code: 'draining', message: 'the gateway is stopping; retry shortly' } }, { 'retry-after': RETRY_AFTER_S });
}

/** Accept a POSTed message: 202 once committed; the same key again answers with the first message. */
function acceptMessage(res: ServerResponse, deps: ApiDeps, sessionId: string, text: string, key: string | undefined): void {
  const outcome = acceptInput(deps.dispatcher, deps.storeHealth, sessionId, text, key);
  switch (outcome.kind) {
    case 'draining': return sendDraining(res);
    case 'key_reused': throw new HttpError(422, 'idempotency_key_reused', outcome.message);
    case 'store': return send(res, 503, { error: { code: outcome.failure.code, message: outcome.failure.message } }, { 'retry-after': STORE_RETRY_AFTER_S });
    case 'accepted': return send(res, 202, { messageId: outcome.messageId }, outcome.replayed ? { 'idempotent-replayed': 'true' } : {});
  }
}

function publicMessage(m: StoredMessage): Record<string, unknown> {
  return { id: m.id, role: m.role, text: m.text, status: m.status, replyTo: m.replyTo, ...(m.error === null ? {} : { error: m.error }) };
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  const presented = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
  return tokenMatches(presented, token);
}

/** A percent-encoded id; a malformed encoding (`%FF%FE`) is the client's error, not ours. */
function decodeSessionId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'bad_session_id', 'the session id is not valid percent-encoded UTF-8');
  }
}

async function route(req: IncomingMessage, res: ServerResponse, deps: ApiDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://gateway');
  if (url.pathname === '/healthz') {
    if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET');
    const accepting = deps.dispatcher.isAccepting;
    send(res, accepting ? 200 : 503, { ok: accepting, pid: deps.identity.pid, instance: deps.identity.instance, workerPid: process.pid, ...(accepting ? {} : { state: 'draining' }) });
    return;
  }
  // The dashboard authenticates with its own session (a cookie and a key), never the bearer token.
  if (deps.dashboard !== undefined && (url.pathname === '/dashboard' || url.pathname.startsWith('/dashboard/'))) {
    await deps.dashboard.handle(req, res, url);
    return;
  }
  if (!authorized(req, deps.token)) {
    send(res, 401, { error: { code: 'unauthorized', message: 'missing or wrong bearer token' } }, { 'www-authenticate': 'Bearer' });
    return;
  }
  if (url.pathname === '/metrics' && deps.metrics !== undefined) {
    if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET');
    const text = await deps.metrics();
    res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  if (url.pathname === '/v1/dashboard/login-codes' && deps.dashboard !== undefined) {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'use POST');
    const issued = deps.dashboard.issueCode();
    send(res, 201, { code: issued.code, expiresAt: new Date(issued.expiresAt).toISOString(), path: '/dashboard/' });
    return;
  }
  if (url.pathname === '/v1/admin/restart') {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'use POST');
    const full = url.searchParams.get('full') === '1' || url.searchParams.get('full') === 'true';
    deps.requestRestart(full);
    send(res, 202, { restarting: true, full });
    return;
  }
  const match = /^\/v1\/sessions\/([^/]+)(\/messages|\/new)?$/.exec(url.pathname);
  if (match === null) throw new HttpError(404, 'not_found', `no route ${url.pathname}`);
  const sessionId = decodeSessionId(match[1] ?? '');
  const badSession = checkSessionId(sessionId);
  if (badSession !== null) throw refused(badSession);
  if (match[2] !== undefined) {
    if (req.method !== 'POST') throw new HttpError(405, 'method_not_allowed', 'use POST');
    // /new is the chat command `/new` sent as a message: it takes its turn behind what is queued.
    const text = match[2] === '/new' ? NEW_CONTEXT_COMMAND : parseMessageBody(await readBody(req));
    acceptMessage(res, deps, sessionId, text, idempotencyKey(req));
    return;
  }
  if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET');
  const messages = deps.store.session(sessionId);
  if (messages.length === 0) throw new HttpError(404, 'not_found', `no session ${sessionId}`);
  send(res, 200, { id: sessionId, resumePending: messages.some((m) => m.status === 'resume_pending'), messages: messages.map(publicMessage) });
}

export function createApiServer(deps: ApiDeps, onError: (error: unknown) => void): Server {
  const server = createServer({
    headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
  }, (req, res) => {
    // A worker handing over closes each connection after its answer; the client's next request
    // opens a new connection, which the monitor gives to the new worker.
    if (deps.closing()) res.setHeader('connection', 'close');
    route(req, res, deps).catch((error: unknown) => {
      if (error instanceof HttpError) {
        if (!res.headersSent) send(res, error.status, { error: { code: error.code, message: error.message } });
        return;
      }
      const storage = classifyStoreError(error);
      if (storage !== null) {
        // Nothing was committed: the client may retry the same request once the cause is gone.
        deps.storeHealth?.failed(storage);
        if (!res.headersSent) send(res, 503, { error: { code: storage.code, message: storage.message } }, { 'retry-after': STORE_RETRY_AFTER_S });
        return;
      }
      onError(error);
      if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: 'internal error' } });
    });
  });
  // The monitor accepted the connection; this server only serves it.
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Node enforces headersTimeout and requestTimeout (and closeAllConnections finds the connections)
  // only for a server that emitted 'listening': this one never listens, the monitor hands it its
  // connections, so it starts that tracking here.
  server.emit('listening');
  return server;
}
