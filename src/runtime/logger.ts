// The worker's log: pino JSON lines written synchronously to its stdout, a pipe that the monitor
// reads and appends to the gateway log (worker-output.ts), so the monitor stays the log's one
// writer and can rotate it while the worker runs. Synchronous, so a line is in the pipe before the
// next statement: the last words before an exit (or a SIGKILL right after) are never lost.
import pino, { type Logger } from 'pino';
import type { Role } from '../env.js';

export type { Logger } from 'pino';

/** The worker's stdout. */
export const STDOUT_FD = 1;

export interface LoggerOptions {
  /** A file descriptor (the worker's stdout) or a file path. */
  readonly destination: number | string;
  readonly role: Role;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = pino.destination({ dest: options.destination, append: true, sync: true, mkdir: typeof options.destination === 'string' });
  // A write that fails (EPIPE: the monitor is gone, and the worker exits on the IPC disconnect)
  // must not become an unhandled 'error' that crashes the worker first.
  destination.on('error', () => {});
  return pino({ base: { pid: process.pid, role: options.role }, timestamp: pino.stdTimeFunctions.epochTime }, destination);
}
