// The gateway log's file, rotated by size while the gateway runs. The monitor is its one writer:
// its own lines and its workers' (which reach it through their stdout and stderr, worker-output.ts)
// are appended here, so a rotation never leaves a writer behind on a renamed file, and no line is
// split between two files or written to both.
//
// Each append opens the file, writes whole lines and closes it again: nothing holds the log open
// between writes, so on Windows (where a file that is open cannot be renamed unless every holder
// shared delete) the rename at rotation finds it closed, a hosted gateway leaves no descriptor
// behind when it stops, and a log removed by hand is simply created again.
import { basename, dirname, join } from 'node:path';
import { isErrnoException } from '../errors.js';

const { closeSync, fstatSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } = process.getBuiltinModule('node:fs');

/** A log file is rotated before a line would take it past this size (config `log.maxBytes`). */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
/** How many rotated files are kept besides the current one: gateway.log.1 (newest) to .3 (config `log.keep`). */
export const DEFAULT_LOG_KEEP = 3;
/** The smallest and largest `log.maxBytes` and `log.keep` the configuration accepts. */
export const LOG_LIMIT_BOUNDS = { minMaxBytes: 1024, maxMaxBytes: 1024 * 1024 * 1024, minKeep: 1, maxKeep: 100 } as const;
/** A rotation that failed (Windows: another program holds the file open) is tried again after this long. */
const ROTATE_RETRY_MS = 10_000;

export interface LogLimits {
  readonly maxBytes: number;
  readonly keep: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxBytes: DEFAULT_LOG_MAX_BYTES, keep: DEFAULT_LOG_KEEP };

/** `<file>.<n>`: the n-th newest rotated file. */
export function rotatedName(file: string, n: number): string {
  return `${file}.${n}`;
}

export class RotatingLogFile {
  private retryAt = 0;
  private dirReady = false;

  /**
   * @param onRotateError told when a rotation failed; the lines go on to the current file, and the
   *   rotation is tried again ROTATE_RETRY_MS later. It may write to this log.
   */
  constructor(
    readonly file: string,
    public limits: LogLimits = DEFAULT_LOG_LIMITS,
    private readonly onRotateError: (error: unknown) => void = () => {},
  ) {}

  /** Append whole lines (without their newlines), rotating first whenever the next line would pass maxBytes. Throws when the file cannot be written. */
  append(lines: readonly string[]): void {
    if (lines.length === 0) return;
    let fd = this.open();
    try {
      for (const line of lines) {
        const data = Buffer.from(`${line}\n`, 'utf8');
        if (this.wouldOverflow(fd, data.length)) {
          closeSync(fd);
          fd = -1;
          this.rotate();
          fd = this.open();
        }
        writeAll(fd, data);
      }
    } finally {
      if (fd !== -1) closeSync(fd);
    }
  }

  private open(): number {
    if (!this.dirReady) {
      mkdirSync(dirname(this.file), { recursive: true });
      this.dirReady = true;
    }
    return openSync(this.file, 'a', 0o600);
  }

  /** The size comes from the file itself, so lines another process appended (the respawn watcher) count too. */
  private wouldOverflow(fd: number, bytes: number): boolean {
    if (Date.now() < this.retryAt) return false;
    const size = fstatSync(fd).size;
    return size > 0 && size + bytes > this.limits.maxBytes;
  }

  /**
   * gateway.log -> .1 -> .2 ... -> .<keep>; the oldest is replaced, and files past `keep` (left by a
   * larger keep before) are removed. Only renames: a line is never copied, so a crash halfway
   * leaves at worst a gap in the numbers, never a line in two files.
   */
  private rotate(): void {
    const { keep } = this.limits;
    try {
      this.removeBeyond(keep);
      for (let n = keep - 1; n >= 1; n--) renameIfPresent(rotatedName(this.file, n), rotatedName(this.file, n + 1));
      renameSync(this.file, rotatedName(this.file, 1));
    } catch (error) {
      this.retryAt = Date.now() + ROTATE_RETRY_MS;
      this.onRotateError(error);
    }
  }

  private removeBeyond(keep: number): void {
    const prefix = `${basename(this.file)}.`;
    for (const name of readdirSync(dirname(this.file))) {
      if (!name.startsWith(prefix)) continue;
      const n = Number(name.slice(prefix.length));
      if (Number.isInteger(n) && n > keep) unlinkSync(join(dirname(this.file), name));
    }
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error;
  }
}

function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}
