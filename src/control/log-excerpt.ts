// What the gateway's log says went wrong: the warnings and errors (and raw crash output) written
// since a given mark, formatted for a person. The monitor rotates the log while it runs
// (runtime/log-file.ts), so a mark names the file as well as the offset: lines written since then
// may have moved to gateway.log.1 (or further) before they are read.
import { formatLogLine, parseLogLine, WARN_LEVEL } from '../log-format.js';
import { readTailLines } from '../runtime/lifecycle-log.js';
import { rotatedName } from '../runtime/log-file.js';

const { closeSync, fstatSync, openSync, readSync, statSync } = process.getBuiltinModule('node:fs');

const MAX_EXCERPT_BYTES = 256 * 1024;
/** How far down the rotated files a mark is looked for (more than any `log.keep` would rotate during a start). */
const MAX_ROTATED_SEARCH = 100;

/** A place in the log: the file (its inode; 0 where there was none) and the offset in it. */
export interface LogMark {
  readonly ino: number;
  readonly size: number;
}

/** The start of a log: every line in it. */
export const LOG_START: LogMark = { ino: 0, size: 0 };

function statOrNull(file: string): LogMark | null {
  try {
    const stat = statSync(file);
    return { ino: stat.ino, size: stat.size };
  } catch {
    return null; // no log yet
  }
}

export function fileSize(file: string): number {
  return statOrNull(file)?.size ?? 0;
}

/** Where the log ends now. */
export function logMark(file: string): LogMark {
  return statOrNull(file) ?? { ino: 0, size: 0 };
}

/** Is `now` the file the mark was taken on? Without inodes, a file that did not shrink is taken to be the same. */
function sameFile(now: LogMark, mark: LogMark): boolean {
  if (mark.ino === 0 || now.ino === 0) return mark.size > 0 && now.size >= mark.size;
  return now.ino === mark.ino;
}

export interface LogSegment {
  readonly path: string;
  readonly from: number;
}

/**
 * The pieces of the log written after `mark`, oldest first: the rest of the file the mark was taken
 * on (by now perhaps gateway.log.N), each file rotated after it, and the current one. A mark whose
 * file is gone (rotated out) or that named no file: the current file from its start.
 */
export function segmentsSince(file: string, mark: LogMark): LogSegment[] {
  const current = statOrNull(file);
  if (current === null) return [];
  if (sameFile(current, mark)) return [{ path: file, from: mark.size }];
  const newerFirst: LogSegment[] = [{ path: file, from: 0 }];
  for (let n = 1; n <= MAX_ROTATED_SEARCH && mark.ino !== 0; n++) {
    const path = rotatedName(file, n);
    const rotated = statOrNull(path);
    if (rotated === null) break;
    if (rotated.ino === mark.ino) return [{ path, from: mark.size }, ...newerFirst.reverse()];
    newerFirst.push({ path, from: 0 });
  }
  return [{ path: file, from: 0 }];
}

function readFrom(path: string, from: number, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return ''; // rotated out meanwhile
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(from, size - maxBytes);
    if (size <= start) return '';
    const buffer = Buffer.alloc(size - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Lines written to the log after `mark`, across rotations, at most the last MAX_EXCERPT_BYTES of each file. */
export function linesSince(file: string, mark: LogMark): string[] {
  return segmentsSince(file, mark)
    .flatMap((segment) => readFrom(segment.path, segment.from, MAX_EXCERPT_BYTES).split('\n'))
    .filter((line) => line.trim() !== '');
}

/**
 * The last `bytes` of the log, reaching into gateway.log.1 (and on) when the current file is shorter
 * (it was just rotated). `first` 1 starts at gateway.log.1.
 */
export function recentLines(file: string, bytes: number, first = 0): string[] {
  const olderFirst: string[][] = [];
  let left = bytes;
  for (let n = first; n <= MAX_ROTATED_SEARCH && left > 0; n++) {
    const path = n === 0 ? file : rotatedName(file, n);
    const size = statOrNull(path)?.size;
    if (size === undefined) break;
    olderFirst.unshift(readTailLines(path, left));
    left -= size;
  }
  return olderFirst.flat();
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
