// Storage conditions that are not bugs: the database is read-only, the disk is full, another process
// holds the database locked. Each becomes a 503 with a code that names it (and Retry-After), is shown
// by `status --deep`, and loses nothing: the message was not committed, so the client retries it.
import { errorMessage } from '../errors.js';

export type StoreFailureCode = 'store_read_only' | 'store_full' | 'store_locked' | 'store_io';

export interface StoreFailure {
  readonly code: StoreFailureCode;
  readonly message: string;
  /** When it was first seen in the current run of failures (ISO). */
  readonly since: string;
}

// Primary result codes (https://www.sqlite.org/rescode.html); extended codes carry them in the low byte.
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;

const WORDS: Record<StoreFailureCode, string> = {
  store_read_only: 'the session database is read-only',
  store_full: 'the disk holding the session database is full',
  store_locked: 'another process holds the session database locked',
  store_io: 'the session database cannot be written (I/O error)',
};

function codeOf(error: unknown): StoreFailureCode | null {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  if (typeof errcode !== 'number') return null;
  switch (errcode & 0xff) {
    case SQLITE_READONLY: return 'store_read_only';
    case SQLITE_FULL: return 'store_full';
    case SQLITE_BUSY: case SQLITE_LOCKED: return 'store_locked';
    case SQLITE_IOERR: case SQLITE_CANTOPEN: return 'store_io';
    default: return null;
  }
}

/** A storage condition in words, or null for anything else (a bug stays a 500). */
export function classifyStoreError(error: unknown, now = new Date()): StoreFailure | null {
  const code = codeOf(error);
  return code === null ? null : { code, message: `${WORDS[code]} (${errorMessage(error)})`, since: now.toISOString() };
}

/** The worker's view of its store: the current run of failures, cleared by the next success. */
export class StoreHealth {
  private current: StoreFailure | null = null;

  constructor(private readonly onChange: (failure: StoreFailure | null) => void) {}

  failed(failure: StoreFailure): void {
    if (this.current?.code === failure.code) return;
    this.current = failure;
    this.onChange(failure);
  }

  succeeded(): void {
    if (this.current === null) return;
    this.current = null;
    this.onChange(null);
  }
}
