// The API token: <profile>/token, mode 0600, created on first use. Never logged.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { isErrnoException } from '../errors.js';
import { writePrivateFile } from '../fs-util.js';

const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;

export type TokenRead = { readonly token: string; readonly note: string | null };

export function readToken(file: string): string | null {
  try {
    const token = readFileSync(file, 'utf8').trim();
    return TOKEN_PATTERN.test(token) ? token : null;
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return null;
    throw error;
  }
}

/** Return the token, creating it when missing or unusable, and make sure only the user can read it. */
export function ensureToken(file: string): TokenRead {
  const existing = readToken(file);
  if (existing !== null) {
    const mode = statSync(file).mode & 0o777;
    if (process.platform !== 'win32' && mode !== 0o600) {
      chmodSync(file, 0o600);
      return { token: existing, note: `token file mode was ${mode.toString(8)}, set to 600` };
    }
    return { token: existing, note: null };
  }
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  writePrivateFile(file, `${token}\n`);
  return { token, note: 'created a new API token' };
}

/** Constant-time comparison of a presented token with the real one. */
export function tokenMatches(presented: string | undefined, actual: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}
