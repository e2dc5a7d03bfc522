// Where log lines go. The monitor's sink is the rotating gateway log (and, in a foreground run, the
// terminal too, readable); its own records and its workers' output both come through it, so it is
// the log's one writer. Helper processes that write the log a monitor rotates (the respawn watcher)
// only append, and leave rotation to the monitor: two rotators could each shift the other's files.
import { isErrnoException } from '../errors.js';
import { formatLogLine } from '../log-format.js';
import { DEFAULT_LOG_LIMITS, RotatingLogFile, type LogLimits } from './log-file.js';

const { appendFileSync, writeSync } = process.getBuiltinModule('node:fs');

/** How long a write to a full non-blocking descriptor waits before it tries again. */
const EAGAIN_PAUSE_MS = 1;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Takes whole lines, without their newlines. Never throws: a log that cannot be written must not take a process down. */
export interface LineSink {
  append(lines: readonly string[]): void;
}

/** The last resort for lines the log file refused (a full disk): stderr, which a detached monitor has on its crash log. */
function toStderr(lines: readonly string[]): void {
  process.stderr.write(lines.map((line) => `${line}\n`).join(''));
}

export interface GatewayLogOptions {
  /** Also print readable lines on stderr (a foreground run). */
  readonly echo: boolean;
  readonly limits?: LogLimits;
  /** A rotation failed; the lines went on to the current file. */
  readonly onRotateError?: (error: unknown) => void;
}

export class GatewayLog implements LineSink {
  private readonly file: RotatingLogFile;

  constructor(path: string, private readonly options: GatewayLogOptions) {
    this.file = new RotatingLogFile(path, options.limits ?? DEFAULT_LOG_LIMITS, options.onRotateError);
  }

  /** The configured size and count, once config.json is read (the first lines may come before it). */
  set limits(limits: LogLimits) {
    this.file.limits = limits;
  }

  append(lines: readonly string[]): void {
    try {
      this.file.append(lines);
    } catch {
      if (!this.options.echo) toStderr(lines);
    }
    if (this.options.echo) toStderr(lines.map(formatLogLine));
  }
}

/** Appends to `file` by its path, so a rotation by the monitor is followed at the next line. */
export function appendingSink(file: string): LineSink {
  return {
    append(lines) {
      try {
        appendFileSync(file, lines.map((line) => `${line}\n`).join(''), { mode: 0o600 });
      } catch {
        toStderr(lines);
      }
    },
  };
}

/**
 * Writes each line to a file descriptor (the worker's stdout: a pipe the monitor reads) before it
 * returns, so the last words before an exit, or a SIGKILL right after, are already in the pipe.
 * A full pipe that is non-blocking (EAGAIN) is waited for; any other error (EPIPE: the monitor is
 * gone, and the worker exits on the IPC disconnect) drops the line.
 */
export function descriptorSink(fd: number): LineSink {
  return {
    append(lines) {
      const bytes = Buffer.from(lines.map((line) => `${line}\n`).join(''));
      for (let offset = 0; offset < bytes.length;) {
        try {
          offset += writeSync(fd, bytes, offset);
        } catch (error) {
          if (!isErrnoException(error, 'EAGAIN')) return;
          Atomics.wait(pause, 0, 0, EAGAIN_PAUSE_MS);
        }
      }
    },
  };
}
