// The gateway's log: pino JSON lines appended to <profile>/logs/gateway.log, written synchronously
// so the last words before an exit are never lost. A foreground `run` also prints readable lines.
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { formatLogLine } from '../log-format.js';
import type { Role } from '../env.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly file: string;
  readonly role: Role;
  /** Also print readable lines to stderr (foreground runs). */
  readonly echo: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [
    { stream: pino.destination({ dest: options.file, append: true, sync: true, mkdir: true }) },
  ];
  if (options.echo) {
    const readable = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line !== '') process.stderr.write(`${formatLogLine(line)}\n`);
        }
        callback();
      },
    });
    streams.push({ stream: readable });
  }
  return pino({ base: { pid: process.pid, role: options.role }, timestamp: pino.stdTimeFunctions.epochTime }, pino.multistream(streams));
}
