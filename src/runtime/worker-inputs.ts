const { statSync } = process.getBuiltinModule('node:fs');
// The files a worker's behaviour comes from (config.json, a module agent's file), stamped when the
// worker read them. A warm standby read them at its boot: it takes over only while they are what is
// on disk, so that a crash after config.json changed still brings up a worker that reads the new
// file (and stops the gateway with exit 78 when it does not validate), as without a standby.

export interface InputStamp {
  readonly file: string;
  /** -1 when the file did not exist (the defaults were used). */
  readonly mtimeMs: number;
  readonly size: number;
}

export function stampInput(file: string): InputStamp {
  try {
    const stat = statSync(file);
    return { file, mtimeMs: stat.mtimeMs, size: stat.size };
  } catch {
    return { file, mtimeMs: -1, size: -1 };
  }
}

/** The first file that changed since it was stamped, or null when all are as they were. */
export function changedInput(stamps: readonly InputStamp[]): string | null {
  for (const stamp of stamps) {
    const now = stampInput(stamp.file);
    if (now.mtimeMs !== stamp.mtimeMs || now.size !== stamp.size) return stamp.file;
  }
  return null;
}
