// The gateway's log records, for the monitor and the worker alike: the JSON lines pino writes
// ({"level","time","pid","role",...fields,"msg"}, levels 30/40/50/60, epoch-millisecond time,
// errors as {type, message, stack}), handed synchronously to a sink (log-sink.ts: for the monitor
// the rotating gateway log, which a foreground `run` echoes readably on stderr; for the worker its
// stdout, which the monitor reads into that log) so the last words before an exit are never lost.
// Written by hand because these processes log a few lines an hour: pino, with its streams and its
// worker-thread transport, cost the monitor several megabytes it kept all day (measured by `npm run
// bench`) and the worker its load time at every boot, before its first answer.
import type { LineSink } from './log-sink.js';

const LEVELS = { info: 30, warn: 40, error: 50, fatal: 60 } as const;
type Level = keyof typeof LEVELS;

type LogCall = {
  (fields: object, msg?: string): void;
  (msg: string): void;
};

/** The part of a logger the gateway's processes use (pino's loggers have it too). */
export interface Logger {
  readonly info: LogCall;
  readonly warn: LogCall;
  readonly error: LogCall;
  readonly fatal: LogCall;
  child(bindings: Readonly<Record<string, unknown>>): Logger;
}

export interface JsonLogOptions {
  readonly sink: LineSink;
  readonly role: string;
}

/** pino's std error serializer, in short: an Error becomes {type, message, stack} plus its own fields. */
function serialize(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const out: Record<string, unknown> = { type: value.constructor.name, message: value.message, stack: value.stack };
  for (const [key, field] of Object.entries(value)) if (!(key in out)) out[key] = field;
  return out;
}

/** JSON.stringify, except that a cycle or a BigInt in a logged value does not throw (pino's safe-stable-stringify says the same). */
function stringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(record, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (typeof value !== 'object' || value === null) return value;
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
      return value;
    });
  }
}

export function createJsonLog(options: JsonLogOptions, bindings: Readonly<Record<string, unknown>> = {}): Logger {
  const write = (level: Level, a: unknown, b?: string): void => {
    const fields = typeof a === 'string' || a === null || typeof a !== 'object' ? {} : (a as Record<string, unknown>);
    const msg = typeof a === 'string' ? a : b;
    const record: Record<string, unknown> = { level: LEVELS[level], time: Date.now(), pid: process.pid, role: options.role, ...bindings };
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) record[key] = serialize(value);
    if (msg !== undefined) record['msg'] = msg;
    options.sink.append([stringify(record)]);
  };
  return {
    info: ((a: unknown, b?: string) => write('info', a, b)) as LogCall,
    warn: ((a: unknown, b?: string) => write('warn', a, b)) as LogCall,
    error: ((a: unknown, b?: string) => write('error', a, b)) as LogCall,
    fatal: ((a: unknown, b?: string) => write('fatal', a, b)) as LogCall,
    child: (more) => createJsonLog(options, { ...bindings, ...more }),
  };
}
