// Replace a file's content all at once: write a temporary file next to it, flush it to disk, then
// rename it over the file, so a reader (or a crash) sees the old content or the new, never half.
// Written here instead of taken from the atomically package: that one's ES imports of node:process,
// node:fs and node:util build those modules' namespaces (about 1.5 MB more in the monitor, which
// writes its state file all day), and it adds exit hooks the gateway does not want.
import { dirname } from 'node:path';

const fs = process.getBuiltinModule('node:fs');
const PRIVATE_DIR_MODE = 0o700;

export interface AtomicWriteOptions {
  /** The file's permission bits (set on the temporary file before anything is written to it). */
  readonly mode: number;
}

/** The file-system calls used, injectable so that tests can make a rename fail. */
export type AtomicWriteFs = Pick<typeof fs, 'mkdirSync' | 'openSync' | 'fchmodSync' | 'writeFileSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync'>;

/**
 * How long a rename that Windows refuses for a moment is retried. There, a virus scanner or an
 * indexer that has the target open makes rename fail with EPERM, EACCES or EBUSY until it lets go;
 * elsewhere EPERM and EACCES are a real answer and only EBUSY is retried.
 */
const RENAME_RETRY_MS = [5, 10, 20, 40, 80, 160, 320];

let sequence = 0;

export function writeAtomicSync(path: string, content: string | Uint8Array, options: AtomicWriteOptions, io: AtomicWriteFs = fs, platform: NodeJS.Platform = process.platform): void {
  const { temp, fd } = openTemp(path, options.mode, io);
  try {
    try {
      // fchmod as well as the open mode: the umask would otherwise take bits off.
      io.fchmodSync(fd, options.mode);
      io.writeFileSync(fd, content);
      io.fsyncSync(fd);
    } finally {
      io.closeSync(fd);
    }
    renameWithRetry(temp, path, io, platform);
  } catch (error) {
    io.rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * A new temporary file beside `path` (same directory, so the rename stays on one file system).
 * A missing directory is made, private to the user (the alerts directory, say, is made at its
 * first write).
 */
function openTemp(path: string, mode: number, io: AtomicWriteFs): { temp: string; fd: number } {
  let madeDir = false;
  for (;;) {
    const temp = `${path}.${process.pid}-${Date.now().toString(36)}-${++sequence}.tmp`;
    try {
      return { temp, fd: io.openSync(temp, 'wx', mode) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !madeDir) {
        io.mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
        madeDir = true;
      } else if (code !== 'EEXIST') throw error;
      // EEXIST: left by an earlier process with the same pid; take the next name.
    }
  }
}

function renameWithRetry(from: string, to: string, io: AtomicWriteFs, platform: NodeJS.Platform): void {
  const transient = platform === 'win32' ? ['EPERM', 'EACCES', 'EBUSY'] : ['EBUSY'];
  for (let attempt = 0; ; attempt++) {
    try {
      io.renameSync(from, to);
      return;
    } catch (error) {
      const waitMs = RENAME_RETRY_MS[attempt];
      if (waitMs === undefined || !transient.includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      sleepSync(waitMs);
    }
  }
}

/** Block this thread for a moment (the callers are synchronous). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
