// What the gateway's log says went wrong: the warnings and errors (and raw crash output) written
// since a given offset, formatted for a person.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { formatLogLine, parseLogLine, WARN_LEVEL } from '../log-format.js';

const MAX_EXCERPT_BYTES = 256 * 1024;

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0; // no log yet
  }
}

/** Lines written to `file` after `offset`, at most the last MAX_EXCERPT_BYTES of them. */
export function linesSince(file: string, offset: number): string[] {
  const size = fileSize(file);
  if (size <= offset) return [];
  const start = Math.max(offset, size - MAX_EXCERPT_BYTES);
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    return buffer.toString('utf8').split('\n').filter((l) => l.trim() !== '');
  } finally {
    closeSync(fd);
  }
}

/** The problems among log lines: WARN and above, and anything that is not a log record (stack traces). */
export function problems(lines: readonly string[], max = 12): string[] {
  return lines
    .filter((line) => {
      const parsed = parseLogLine(line);
      return parsed === null || parsed.level >= WARN_LEVEL;
    })
    .slice(-max)
    .map(formatLogLine);
}
