// `gatehouse logs -f`: the lines appended to the gateway log, through its rotations. The current
// file is followed by an open descriptor, which stays on it when the monitor renames it to
// gateway.log.1: the lines written just before a rotation are read from there, then any file
// rotated after it, then the new gateway.log from its start. No line is skipped or shown twice.
import { StringDecoder } from 'node:string_decoder';
import { rotatedName } from '../runtime/log-file.js';
import { recentLines } from './log-excerpt.js';

const { closeSync, fstatSync, openSync, readSync, statSync } = process.getBuiltinModule('node:fs');

/** How far down the rotated files the followed one is looked for after a rotation. */
const MAX_ROTATED_SEARCH = 100;

function inode(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

/** Every byte of `fd` from `offset` to its end. */
function readRest(fd: number, offset: number): Buffer {
  const size = fstatSync(fd).size;
  if (size <= offset) return Buffer.alloc(0);
  const buffer = Buffer.alloc(size - offset);
  const read = readSync(fd, buffer, 0, buffer.length, offset);
  return buffer.subarray(0, read);
}

function readWhole(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Buffer.alloc(0); // rotated out meanwhile
  }
  try {
    return readRest(fd, 0);
  } finally {
    closeSync(fd);
  }
}

export class LogFollower {
  private fd: number | null = null;
  private ino = 0;
  private offset = 0;
  private partial = '';
  private readonly decoder = new StringDecoder('utf8');

  /** Follows from the current end of `file` (or from the start of a file created later). */
  constructor(private readonly file: string) {
    if (this.open()) this.offset = fstatSync(this.fd!).size;
  }

  /**
   * The last `bytes` before the point it follows from, reaching into the rotated files: what
   * `logs -n N -f` prints first, so that nothing between the two is missed or shown twice.
   */
  linesBefore(bytes: number): string[] {
    if (this.fd === null) return [];
    const start = Math.max(0, this.offset - bytes);
    const buffer = Buffer.alloc(this.offset - start);
    const read = readSync(this.fd, buffer, 0, buffer.length, start);
    const lines = buffer.subarray(0, read).toString('utf8').split('\n');
    if (start > 0) lines.shift(); // the first line is cut
    const older = bytes > this.offset ? recentLines(this.file, bytes - this.offset, 1) : [];
    return [...older, ...lines.filter((line) => line.trim() !== '')];
  }

  /** The complete lines appended since the last call. */
  poll(): string[] {
    if (this.fd === null && !this.open()) return [];
    let text = this.take();
    const now = inode(this.file);
    const rotated = now !== null && (this.ino === 0 ? fstatSync(this.fd!).size < this.offset : now !== this.ino);
    if (rotated) {
      text += this.take(); // a line appended between the read and the rename
      for (const path of this.rotatedSince()) text += readWhole(path).toString('utf8');
      this.close();
      if (this.open()) text += this.take();
    }
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    return lines.filter((line) => line !== '');
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): boolean {
    try {
      this.fd = openSync(this.file, 'r');
    } catch {
      return false; // no log yet
    }
    this.ino = fstatSync(this.fd).ino;
    this.offset = 0;
    return true;
  }

  private take(): string {
    const bytes = readRest(this.fd!, this.offset);
    this.offset += bytes.length;
    return this.decoder.write(bytes);
  }

  /** The files rotated after the followed one (it is gateway.log.N now: N-1 down to 1), oldest first. */
  private rotatedSince(): string[] {
    if (this.ino === 0) return [];
    for (let n = 1; n <= MAX_ROTATED_SEARCH; n++) {
      const ino = inode(rotatedName(this.file, n));
      if (ino === null) return [];
      if (ino === this.ino) return Array.from({ length: n - 1 }, (_, i) => rotatedName(this.file, n - 1 - i));
    }
    return [];
  }
}
