// Checks before trusting a path: is it ours, and what went wrong in words. Only node:fs and
// node:path, so every CLI command can use it without loading more.
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage, isErrnoException } from './errors.js';

const { accessSync, constants: fsConstants, existsSync, statSync } = process.getBuiltinModule('node:fs');

/** The effective uid, or null where files have no POSIX owner (Windows): ownership is then not checked. */
export function currentUid(): number | null {
  return typeof process.geteuid === 'function' ? process.geteuid() : null;
}

/**
 * Why a file or directory we are about to trust is not ours, or null: owned by another user (as
 * root too: a home another user prepared is theirs to plant a token or a marker in).
 */
export function foreignOwner(path: string, stat: Stats): string | null {
  const uid = currentUid();
  if (uid === null || stat.uid === uid) return null;
  return `${path} belongs to uid ${stat.uid}, not to this user (uid ${uid})`;
}

/** The nearest ancestor of `path` that exists but is not a directory (the cause of an ENOTDIR). */
function fileInTheWay(path: string): string | null {
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) {
    try {
      if (existsSync(p) && !statSync(p).isDirectory()) return p;
    } catch {
      return null;
    }
  }
  return null;
}

/** The nearest existing ancestor of `path` (where a recursive mkdir really failed). */
function nearestExisting(path: string): string | null {
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) if (existsSync(p)) return p;
  return null;
}

/**
 * Node's recursive mkdir reports ENOENT when a directory cannot be created under a read-only or
 * unwritable parent: ask that parent why.
 */
function whyCannotCreate(path: string): string {
  const parent = nearestExisting(path);
  if (parent === null) return `${path} does not exist`;
  try {
    accessSync(parent, fsConstants.W_OK);
  } catch (error) {
    if (isErrnoException(error, 'EROFS')) return `${parent} is on a read-only file system (cannot create ${path})`;
    if (isErrnoException(error, 'EACCES') || isErrnoException(error, 'EPERM')) return `permission denied on ${parent} (cannot create ${path})`;
  }
  return `${path} does not exist (or a directory in its path was removed)`;
}

/** A file-system failure in words, with the path: never a bare EISDIR, ENOTDIR or ENOENT. */
export function describeFsError(path: string, error: unknown): string {
  const code = isErrnoException(error) ? error.code : undefined;
  switch (code) {
    case 'EISDIR': return `${path} is a directory, not a file`;
    case 'ENOTDIR': {
      const file = fileInTheWay(path);
      return file === null ? `a part of ${path} is not a directory` : `${file} is a file, not a directory (in the path ${path})`;
    }
    case 'EEXIST': return existsSync(path) && !statSync(path).isDirectory() ? `${path} is a file, not a directory` : `${path} exists and is not a directory`;
    case 'ENOENT': return whyCannotCreate(path);
    case 'EROFS': return `${path} is on a read-only file system`;
    case 'EACCES': case 'EPERM': return `permission denied on ${path}`;
    case 'ENOSPC': return `no space left on the device holding ${path}`;
    case 'EDQUOT': return `the disk quota is exhausted for ${path}`;
    case 'ELOOP': return `too many symbolic links in ${path}`;
    default: return `${path}: ${errorMessage(error)}`;
  }
}
