const { createHmac, randomBytes, timingSafeEqual } = process.getBuiltinModule('node:crypto');
// Mutual proof of the profile's token over the control endpoint, without the token ever crossing it.
// Another local user can reach the endpoint, and while the gateway is down can even own it (Linux's
// abstract socket names and Windows pipe names are computable; a socket file may sit in a shared
// temp dir). So the server proves first: the client sends a fresh nonce, the server answers with its
// own nonce and an HMAC of both under the token; only a client that checked it sends a command, and
// that command carries an HMAC of both nonces in the other direction. A squatter learns two random
// nonces and nothing else; a replayed proof fails against the next nonce.

const NONCE_BYTES = 32;
/** base64url of NONCE_BYTES: 43 characters. */
const NONCE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Separates this use of the token from any other (the HTTP bearer), and the versions from each other. */
const DOMAIN = 'gatehouse-control-v1';

/** What the server's proof covers besides the nonces: who it says it is. */
export interface ProvenIdentity {
  readonly instance: string;
  readonly pid: number;
  readonly startTime: number;
}

export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64url');
}

export function isNonce(value: unknown): value is string {
  return typeof value === 'string' && NONCE_PATTERN.test(value);
}

function mac(key: string, parts: readonly string[]): string {
  return createHmac('sha256', key).update(parts.join('\0')).digest('base64url');
}

/** The server's answer to the client's nonce: it knows the token, and says who it is. */
export function serverProof(key: string, clientNonce: string, serverNonce: string, who: ProvenIdentity): string {
  return mac(key, [DOMAIN, 'server', clientNonce, serverNonce, who.instance, String(who.pid), String(who.startTime)]);
}

/** The client's authorisation of one command on this connection. */
export function clientProof(key: string, clientNonce: string, serverNonce: string, cmd: string): string {
  return mac(key, [DOMAIN, 'client', clientNonce, serverNonce, cmd]);
}

/** Constant-time comparison of a proof with the expected one. */
export function proofMatches(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
