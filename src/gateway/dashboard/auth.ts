const { createHmac, randomBytes, timingSafeEqual } = process.getBuiltinModule('node:crypto');
// Dashboard authentication, without the API token ever reaching a URL, a page or a log:
// 1. `gatehouse dashboard` asks the token-authenticated API for a login code: 128 random bits,
//    good for LOGIN_CODE_TTL_MS and for one exchange (kept in the issuing worker's memory only, so
//    a code can never outlive the process that could redeem it).
// 2. The URL it prints carries that code in its fragment (`/dashboard/#login=...`): a fragment is
//    never sent in a request line, so not even the code reaches the server's request path.
// 3. The page POSTs the code once and gets a session: an HttpOnly, SameSite=Strict cookie and, in
//    the JSON body, a session key the page keeps in sessionStorage. Every dashboard request needs
//    both. The cookie alone is not enough because browsers send cookies to every port of a host
//    (another local user's server on 127.0.0.1:other-port could collect it); sessionStorage is
//    scoped to the origin, port included. The key in a custom header is also the CSRF defence: a
//    cross-origin page cannot set it without a CORS preflight, which is never granted.
// Sessions are stateless (signed), so they survive a worker restart and the monitor can check them
// while no worker runs. The signing key is derived from the API token by HMAC under its own label:
// neither the cookie nor the session key reveals the token, and replacing the token ends every
// session. This module is loaded by the monitor too: node:crypto only.

/** A login code is good for one exchange within this long. */
export const LOGIN_CODE_TTL_MS = 60_000;
/** A dashboard session lasts this long (then `gatehouse dashboard` again). */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** At most this many unredeemed codes are kept; the oldest is dropped for a new one. */
const MAX_OPEN_CODES = 32;
const CODE_BYTES = 16;
const SESSION_ID_BYTES = 16;
/** The header the page sends with its session key on every request. */
export const SESSION_HEADER = 'x-gatehouse-session';
const KEY_LABEL = 'gatehouse-dashboard-session-v1';

/** The cookie's name carries the port: two gateways on one host do not overwrite each other's. */
export function cookieName(port: number): string {
  return `gatehouse_dashboard_${port}`;
}

function hmac(key: Buffer, ...parts: string[]): Buffer {
  return createHmac('sha256', key).update(parts.join('\n')).digest();
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The key that signs sessions, derived from the API token (which it does not reveal). */
export function sessionKey(apiToken: string): Buffer {
  return createHmac('sha256', apiToken).update(KEY_LABEL).digest();
}

export interface IssuedCode {
  readonly code: string;
  readonly expiresAt: number;
}

/** One-time login codes. Only a hash is kept, so a heap dump does not hold a usable code. */
export class LoginCodes {
  private readonly open = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(): IssuedCode {
    this.prune();
    if (this.open.size >= MAX_OPEN_CODES) this.open.delete(this.open.keys().next().value as string);
    const code = randomBytes(CODE_BYTES).toString('base64url');
    const expiresAt = this.now() + LOGIN_CODE_TTL_MS;
    this.open.set(digest(code), expiresAt);
    return { code, expiresAt };
  }

  /** 'ok' once per issued code; a second try, an expired code and an unknown one are refused. */
  redeem(code: string): 'ok' | 'expired' | 'unknown' {
    const id = digest(code);
    const expiresAt = this.open.get(id);
    if (expiresAt === undefined) return 'unknown';
    this.open.delete(id); // used or not, a code is gone once presented
    return this.now() <= expiresAt ? 'ok' : 'expired';
  }

  private prune(): void {
    const now = this.now();
    for (const [id, expiresAt] of this.open) if (expiresAt < now) this.open.delete(id);
  }
}

function digest(code: string): string {
  return createHmac('sha256', 'gatehouse-login-code').update(code).digest('base64url');
}

export interface Session {
  /** The cookie's value: id, expiry, signature. */
  readonly cookie: string;
  /** What the page sends in SESSION_HEADER. */
  readonly headerKey: string;
  readonly expiresAt: number;
}

function headerKeyFor(key: Buffer, id: string): string {
  return hmac(key, 'header', id).toString('base64url');
}

export function newSession(key: Buffer, now = Date.now()): Session {
  const id = randomBytes(SESSION_ID_BYTES).toString('base64url');
  const expiresAt = now + SESSION_TTL_MS;
  const signature = hmac(key, 'cookie', id, String(expiresAt)).toString('base64url');
  return { cookie: `v1.${id}.${expiresAt}.${signature}`, headerKey: headerKeyFor(key, id), expiresAt };
}

/** The session id when the cookie is ours, unexpired, and the header key belongs to it. */
export function checkSession(key: Buffer, cookie: string | undefined, headerKey: string | undefined, now = Date.now()): string | null {
  if (cookie === undefined || headerKey === undefined) return null;
  const [version, id, expires, signature, ...rest] = cookie.split('.');
  if (version !== 'v1' || id === undefined || expires === undefined || signature === undefined || rest.length > 0) return null;
  const expiresAt = Number(expires);
  if (!Number.isSafeInteger(expiresAt) || expiresAt < now) return null;
  if (!sameText(signature, hmac(key, 'cookie', id, expires).toString('base64url'))) return null;
  return sameText(headerKey, headerKeyFor(key, id)) ? id : null;
}

/** One cookie's value out of a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

export function setCookieHeader(name: string, session: Session): string {
  const maxAgeS = Math.floor(SESSION_TTL_MS / 1000);
  return `${name}=${session.cookie}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}`;
}

export function clearCookieHeader(name: string): string {
  return `${name}=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0`;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The Host header names this gateway on loopback. Refusing any other name defeats DNS rebinding
 * (a site whose name resolves to 127.0.0.1 would otherwise be same-origin with the dashboard).
 */
export function loopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const at = host.lastIndexOf(':');
  if (at < 0 || host.slice(at + 1) !== String(port)) return false;
  return LOOPBACK_HOSTS.has(host.slice(0, at).toLowerCase());
}

/** The client connects from this machine (api.allowRemote may open the API itself wider). */
export function loopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** A state-changing request must come from the dashboard's own origin (browsers send Origin on POST). */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  return origin !== undefined && host !== undefined && origin === `http://${host}`;
}
