// The API token: <profile>/token, mode 0600, created on first use. Never logged. A token file is
// trusted only when it is ours: one another user wrote (into a directory they prepared) would let
// them prove themselves to our CLI and read what we send.
import { ERROR_CODES, GatehouseError, isErrnoException } from '../errors.js';
import { describeFsError, foreignOwner } from '../fs-check.js';
import { PRIVATE_FILE_MODE, writePrivateFile } from '../fs-util.js';

const { randomBytes, timingSafeEqual } = process.getBuiltinModule('node:crypto');
const { chmodSync, closeSync, fstatSync, linkSync, openSync, readFileSync, rmSync, writeFileSync } = process.getBuiltinModule('node:fs');

const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;

export type TokenRead = {
  readonly token: string;
  readonly note: string | null;
  /** Set when an unusable token file was replaced: clients holding the old token now get 401. */
  readonly replaced?: 'empty' | 'garbage';
};

type TokenFile =
  | { readonly kind: 'missing' }
  | { readonly kind: 'empty' | 'garbage' }
  | { readonly kind: 'ok'; readonly token: string; readonly mode: number };

const REPLACE_HINT = 'remove it; a new token is created at the next start';

/** Read the token file through one descriptor (what is checked is what is read). */
function inspectToken(file: string): TokenFile {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return { kind: 'missing' };
    throw new GatehouseError(ERROR_CODES.TOKEN_UNUSABLE, `cannot read the API token: ${describeFsError(file, error)}`, { hint: REPLACE_HINT, cause: error });
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new GatehouseError(ERROR_CODES.TOKEN_UNUSABLE, `cannot use the API token: ${file} is a directory, not a file`, { hint: REPLACE_HINT });
    const foreign = foreignOwner(file, stat);
    if (foreign !== null) throw new GatehouseError(ERROR_CODES.NOT_OWNED, `refusing the API token: ${foreign}; a token another user wrote is never trusted`, { hint: REPLACE_HINT });
    const text = readFileSync(fd, 'utf8').trim();
    if (text === '') return { kind: 'empty' };
    return TOKEN_PATTERN.test(text) ? { kind: 'ok', token: text, mode: stat.mode & 0o777 } : { kind: 'garbage' };
  } finally {
    closeSync(fd);
  }
}

/** The token, or null when there is none (or it is not a token). Throws for a file that is not ours or not a file. */
export function readToken(file: string): string | null {
  const found = inspectToken(file);
  return found.kind === 'ok' ? found.token : null;
}

/** Return the token, creating it when missing or unusable, and make sure only the user can read it. */
export function ensureToken(file: string): TokenRead {
  const existing = inspectToken(file);
  if (existing.kind === 'ok') {
    if (process.platform !== 'win32' && existing.mode !== PRIVATE_FILE_MODE) {
      chmodSync(file, PRIVATE_FILE_MODE);
      return { token: existing.token, note: `token file mode was ${existing.mode.toString(8)}, set to 600` };
    }
    return { token: existing.token, note: null };
  }
  if (existing.kind === 'missing') return createToken(file);
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  writePrivateFile(file, `${token}\n`);
  const what = existing.kind === 'empty' ? 'was empty' : 'held no valid token';
  return { token, replaced: existing.kind, note: `the token file ${file} ${what}: replaced it with a new token (clients holding the old one get 401 until they read the new one)` };
}

/**
 * Create the token file only if it is still missing, whole or not at all: written under a temporary
 * name, then hard-linked into place, which fails when another starter got there first. The loser
 * takes the winner's token, so two concurrent first starts never leave a monitor holding a token the
 * file does not have. Where hard links are refused, a plain atomic write.
 */
function createToken(file: string): TokenRead {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const temp = `${file}.${process.pid}.new`;
  writeFileSync(temp, `${token}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  try {
    linkSync(temp, file);
    return { token, note: 'created a new API token' };
  } catch (error) {
    if (isErrnoException(error, 'EEXIST')) {
      const winner = inspectToken(file);
      if (winner.kind === 'ok') return { token: winner.token, note: null };
    } else if (!isErrnoException(error, 'EPERM') && !isErrnoException(error, 'ENOTSUP') && !isErrnoException(error, 'EXDEV')) {
      throw error;
    }
    writePrivateFile(file, `${token}\n`);
    return { token, note: 'created a new API token' };
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Constant-time comparison of a presented token with the real one. */
export function tokenMatches(presented: string | undefined, actual: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}
