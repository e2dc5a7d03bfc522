// writeAtomicSync: the file holds the old content or the new, with the mode asked for whatever the
// umask; a failed write leaves neither a half file nor a temporary one; a rename that Windows
// refuses for a moment (a scanner holding the file) is retried, a real refusal is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomicSync, type AtomicWriteFs } from '../../src/platform/atomic-write.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Node's fs, with renameSync failing with these codes first, one per call. */
function failingRenames(codes: string[]): AtomicWriteFs & { renames: number } {
  const io = {
    ...fs,
    renames: 0,
    renameSync(from: fs.PathLike, to: fs.PathLike): void {
      io.renames++;
      const code = codes.shift();
      if (code !== undefined) throw Object.assign(new Error(`${code}: rename`), { code });
      fs.renameSync(from, to);
    },
  };
  return io;
}

test('replaces the content, with the mode asked for even under a umask that would take bits off', { skip: process.platform === 'win32' ? 'POSIX modes' : false }, (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'state.json');
  writeFileSync(file, 'old');
  const umask = process.umask(0o077);
  try {
    writeAtomicSync(file, 'new', { mode: 0o644 });
  } finally {
    process.umask(umask);
  }
  assert.equal(readFileSync(file, 'utf8'), 'new');
  assert.equal(statSync(file).mode & 0o777, 0o644);
  writeAtomicSync(file, new TextEncoder().encode('bytes'), { mode: 0o600 });
  assert.equal(readFileSync(file, 'utf8'), 'bytes');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['state.json'], 'no temporary file left');
});

test('a rename refused for a moment on Windows (EPERM, EBUSY) is retried and the write lands', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'state.json');
  const io = failingRenames(['EPERM', 'EBUSY', 'EACCES']);
  writeAtomicSync(file, 'new', { mode: 0o600 }, io, 'win32');
  assert.equal(io.renames, 4);
  assert.equal(readFileSync(file, 'utf8'), 'new');
  assert.deepEqual(readdirSync(dir), ['state.json']);
});

test('elsewhere EACCES is an answer: thrown at once, the old content kept, no temporary file left', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'state.json');
  writeFileSync(file, 'old');
  const io = failingRenames(['EACCES']);
  assert.throws(() => writeAtomicSync(file, 'new', { mode: 0o600 }, io, 'linux'), { code: 'EACCES' });
  assert.equal(io.renames, 1);
  assert.equal(readFileSync(file, 'utf8'), 'old');
  assert.deepEqual(readdirSync(dir), ['state.json']);
});

test('a rename that keeps failing gives up after the retries with the last error', (t) => {
  const dir = tempDir(t);
  const io = failingRenames(Array.from({ length: 20 }, () => 'EBUSY'));
  assert.throws(() => writeAtomicSync(join(dir, 'state.json'), 'new', { mode: 0o600 }, io, 'win32'), { code: 'EBUSY' });
  assert.equal(io.renames, 8, 'the first try and seven retries');
  assert.deepEqual(readdirSync(dir), []);
});

test('a directory that does not exist is made, private to the user', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'alerts', 'queue', 'state.json');
  writeAtomicSync(file, 'new', { mode: 0o600 });
  assert.equal(readFileSync(file, 'utf8'), 'new');
  if (process.platform !== 'win32') assert.equal(statSync(join(dir, 'alerts')).mode & 0o777, 0o700);
});

test('a path under a file fails with the file system\'s answer and leaves nothing behind', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'file'), 'x');
  assert.throws(() => writeAtomicSync(join(dir, 'file', 'state.json'), 'new', { mode: 0o600 }), { code: 'ENOTDIR' });
  assert.deepEqual(readdirSync(dir), ['file']);
});
