// Turn a pino JSON log line into one readable line: "2026-11-23T20:00:00.000Z INFO  monitor: ready".
// Lines that are not pino JSON (a crash trace written to stderr) pass through unchanged.
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'role', 'v']);

export interface ParsedLogLine {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly role?: string;
  readonly fields: Record<string, unknown>;
}

export function parseLogLine(line: string): ParsedLogLine | null {
  if (!line.startsWith('{')) return null;
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    if (typeof value.level !== 'number' || typeof value.msg !== 'string') return null;
    const fields = Object.fromEntries(Object.entries(value).filter(([k]) => !SKIP.has(k)));
    return {
      level: value.level,
      time: typeof value.time === 'number' ? value.time : Date.now(),
      msg: value.msg,
      role: typeof value.role === 'string' ? value.role : undefined,
      fields,
    };
  } catch {
    return null;
  }
}

export function formatLogLine(line: string): string {
  const parsed = parseLogLine(line);
  if (parsed === null) return line;
  const level = (LEVELS[parsed.level] ?? String(parsed.level)).padEnd(5);
  const extra = Object.entries(parsed.fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const role = parsed.role === undefined ? '' : `${parsed.role}: `;
  return `${new Date(parsed.time).toISOString()} ${level} ${role}${parsed.msg}${extra === '' ? '' : ` ${extra}`}`;
}

export const WARN_LEVEL = 40;
