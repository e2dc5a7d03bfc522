// Small file helpers: atomic private writes and reads that tell missing, empty and corrupt apart.
import { isErrnoException, errorMessage } from './errors.js';
import { currentUid } from './fs-check.js';
import { writeAtomicSync } from './platform/atomic-write.js';
import type { Shape, ShapeIssue } from './shape.js';

const { chmodSync, closeSync, openSync, readFileSync, renameSync, statSync } = process.getBuiltinModule('node:fs');

/** A text file's content, or null when it does not exist (any other error is thrown). */
export function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return null;
    throw error;
  }
}

export { writeAtomicSync } from './platform/atomic-write.js';

/** Write a file readable by the user alone, atomically (temp file + rename). */
export function writePrivateFile(path: string, content: string): void {
  writeAtomicSync(path, content, { mode: PRIVATE_FILE_MODE });
}

/** Files only the user may read or write: secrets, and the session database with its sidecars. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Create `path` empty with PRIVATE_FILE_MODE when it does not exist (an existing file is left as it
 * is), so that a library that creates it later (SQLite) finds it private from the first byte.
 */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
  } catch (error) {
    if (!isErrnoException(error, 'EEXIST')) throw error;
  }
}

/** Group and other permission bits. */
const NOT_OWNER_BITS = 0o077;

/**
 * Take group and other permissions off each file that exists (made by an older version, or by
 * hand); the owner's own bits stay, so a file the user made read-only stays read-only. A file whose
 * mode cannot be changed (immutable, read-only file system) is left to fail where it is used.
 */
export function makePrivate(paths: readonly string[]): void {
  // Without POSIX owners (Windows) there are no such bits: chmod would only toggle the read-only
  // attribute, and fails (EBUSY) on a file SQLite holds open.
  if (currentUid() === null) return;
  for (const path of paths) {
    try {
      const mode = statSync(path).mode & 0o777;
      if ((mode & NOT_OWNER_BITS) !== 0) chmodSync(path, mode & ~NOT_OWNER_BITS);
    } catch (error) {
      if (!isErrnoException(error, 'ENOENT') && !isErrnoException(error, 'EPERM') && !isErrnoException(error, 'EROFS')) throw error;
    }
  }
}

export function writeJsonFile(path: string, value: unknown): void {
  writePrivateFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

export type JsonRead<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly reason: string; readonly empty?: boolean };

/** Read and validate a JSON file; never throws for a missing, empty, corrupt or foreign file. */
export function readJsonFile<T>(path: string, schema: Shape<T>): JsonRead<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return { kind: 'missing' };
    return { kind: 'invalid', reason: `cannot read: ${errorMessage(error)}` };
  }
  if (text.trim() === '') return { kind: 'invalid', reason: 'file is empty', empty: true };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', reason: `not valid JSON: ${errorMessage(error)}` };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { kind: 'invalid', reason: formatIssues(parsed.error.issues) };
  return { kind: 'ok', value: parsed.data };
}

/** "api.port: expected number, received string; agent.kind: ..." */
export function formatIssues(issues: readonly ShapeIssue[]): string {
  return issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`)
    .join('; ');
}

/** Keep a log bounded: past maxBytes, move it to `<file>.1` (replacing an older one). */
export function rotateIfLarge(file: string, maxBytes: number): boolean {
  try {
    if (statSync(file).size <= maxBytes) return false;
    renameSync(file, `${file}.1`);
    return true;
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return false;
    throw error;
  }
}
