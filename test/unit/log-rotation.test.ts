// The gateway log's rotation by size (runtime/log-file.ts) and its readers across rotations: the
// excerpt `start` and `status --deep` quote (control/log-excerpt.ts) and `logs -f` (control/log-follow.ts).
// Real files in a temp dir; every line carries a number, so a lost or doubled line is seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { linesSince, logMark, recentLines } from '../../src/control/log-excerpt.js';
import { LogFollower } from '../../src/control/log-follow.js';
import { RotatingLogFile } from '../../src/runtime/log-file.js';
import { WorkerOutput } from '../../src/runtime/worker-output.js';
import { tempDir } from './helpers.js';

/** Every line the same length, so a file's capacity is a number of lines. */
const line = (n: number): string => `{"level":30,"seq":"${String(n).padStart(6, '0')}","msg":"a line"}`;
const LINE_BYTES = Buffer.byteLength(`${line(1)}\n`);

/** gateway.log, .1, .2 ... as they are on disk, oldest first. */
function files(log: string): string[] {
  const dir = join(log, '..');
  const rotated = readdirSync(dir).filter((name) => /^gateway\.log\.\d+$/.test(name)).map((name) => Number(name.split('.').pop()));
  return [...rotated.sort((a, b) => b - a).map((n) => `${log}.${n}`), log];
}

function seqs(text: string): number[] {
  return text.split('\n').filter((l) => l !== '').map((l) => Number((JSON.parse(l) as { seq: string }).seq));
}

test('rotation keeps `keep` old files, each at most maxBytes, and every line is in exactly one file', (t) => {
  const log = join(tempDir(t), 'gateway.log');
  const file = new RotatingLogFile(log, { maxBytes: LINE_BYTES * 10, keep: 100 });
  for (let n = 1; n <= 95; n++) file.append([line(n)]);
  const all = files(log);
  assert.equal(all.length, 10, 'ten files of ten lines');
  assert.deepEqual(all.slice(0, -1), Array.from({ length: 9 }, (_, i) => `${log}.${9 - i}`), 'numbered without gaps, .1 newest');
  for (const path of all) assert.ok(statSync(path).size <= LINE_BYTES * 10, `${path} is within maxBytes`);
  assert.deepEqual(all.flatMap((path) => seqs(readFileSync(path, 'utf8'))), Array.from({ length: 95 }, (_, i) => i + 1), 'every line once, in order');
});

test('past `keep`, the oldest files go; a lower keep removes the files it no longer keeps', (t) => {
  const log = join(tempDir(t), 'gateway.log');
  const file = new RotatingLogFile(log, { maxBytes: LINE_BYTES * 4, keep: 5 });
  file.append(Array.from({ length: 100 }, (_, i) => line(i + 1))); // one batch: rotated between lines too
  assert.deepEqual(files(log), [5, 4, 3, 2, 1].map((n) => `${log}.${n}`).concat(log));
  assert.deepEqual(files(log).flatMap((path) => seqs(readFileSync(path, 'utf8'))), Array.from({ length: 24 }, (_, i) => 77 + i), 'the newest 24 lines, in order');
  file.limits = { maxBytes: LINE_BYTES * 4, keep: 2 };
  file.append([line(101)]);
  assert.deepEqual(files(log), [`${log}.2`, `${log}.1`, log], 'what keep=2 does not keep is removed at the next rotation');
  assert.deepEqual(seqs(readFileSync(log, 'utf8')), [101]);
});

test('a line longer than maxBytes gets a file of its own; an empty file is never rotated', (t) => {
  const log = join(tempDir(t), 'gateway.log');
  const file = new RotatingLogFile(log, { maxBytes: 64, keep: 3 });
  const long = `{"level":30,"seq":"2","msg":"${'x'.repeat(200)}"}`;
  file.append([long]);
  assert.deepEqual(files(log), [log], 'the first line into an empty file is written, whatever its size');
  file.append([line(3)]);
  assert.equal(readFileSync(`${log}.1`, 'utf8'), `${long}\n`);
  assert.deepEqual(seqs(readFileSync(log, 'utf8')), [3]);
});

test('a rotation that fails writes on to the current file, says so once, and loses nothing', (t) => {
  const dir = tempDir(t);
  const log = join(dir, 'gateway.log');
  // gateway.log.1 is a directory with something in it: renaming the log onto it fails.
  mkdirSync(join(dir, 'gateway.log.1'));
  writeFileSync(join(dir, 'gateway.log.1', 'keep-me'), '');
  const errors: unknown[] = [];
  const file = new RotatingLogFile(log, { maxBytes: LINE_BYTES * 2, keep: 1 }, (error) => errors.push(error));
  for (let n = 1; n <= 10; n++) file.append([line(n)]);
  assert.equal(errors.length, 1, 'told once; retried only after a pause');
  assert.deepEqual(seqs(readFileSync(log, 'utf8')), Array.from({ length: 10 }, (_, i) => i + 1));
});

test('the excerpt since a mark reads on into the files rotated after it', (t) => {
  const log = join(tempDir(t), 'gateway.log');
  const file = new RotatingLogFile(log, { maxBytes: LINE_BYTES * 3, keep: 10 });
  file.append([line(1), line(2)]);
  const mark = logMark(log);
  file.append(Array.from({ length: 8 }, (_, i) => line(i + 3))); // .3: 1 2 3, .2: 4 5 6, .1: 7 8 9, current: 10
  assert.deepEqual(linesSince(log, mark).map((l) => Number((JSON.parse(l) as { seq: string }).seq)), [3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(linesSince(log, logMark(log)), [], 'nothing since the end');
  const missing = join(log, '..', 'none.log');
  const before = logMark(missing);
  new RotatingLogFile(missing).append([line(1)]);
  assert.deepEqual(linesSince(missing, before).length, 1, 'a log created after the mark: all of it');
});

test('the recent lines of a just rotated log reach into gateway.log.1', (t) => {
  const log = join(tempDir(t), 'gateway.log');
  const file = new RotatingLogFile(log, { maxBytes: LINE_BYTES * 5, keep: 3 });
  file.append(Array.from({ length: 6 }, (_, i) => line(i + 1)));
  assert.deepEqual(recentLines(log, LINE_BYTES * 3 + 10).map((l) => Number((JSON.parse(l) as { seq: string }).seq)), [4, 5, 6]);
  file.limits = { maxBytes: LINE_BYTES * 2, keep: 3 };
  file.append([line(7), line(8), line(9)]);
  file.append([line(10)]); // .3: 1-5, .2: 6 7, .1: 8 9, current: 10
  assert.deepEqual(recentLines(log, LINE_BYTES * 5 + 10).map((l) => Number((JSON.parse(l) as { seq: string }).seq)), [6, 7, 8, 9, 10], 'through several small files');
});

test('logs -f follows the log through rotations, several between two polls included', (t) => {
  const log = join(tempDir(t), 'gateway.log');
  const file = new RotatingLogFile(log, { maxBytes: LINE_BYTES * 3, keep: 20 });
  file.append([line(0)]);
  const follower = new LogFollower(log);
  t.after(() => follower.close());
  const seen: number[] = [];
  let n = 0;
  for (const burst of [1, 2, 3, 1, 7, 0, 12, 2]) { // 7 and 12 lines: two and four rotations between polls
    for (let i = 0; i < burst; i++) file.append([line(++n)]);
    seen.push(...follower.poll().map((l) => Number((JSON.parse(l) as { seq: string }).seq)));
  }
  assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i + 1), 'every line after the start once, in order');
});

test('logs -n N -f prints the lines before the point it follows from, through rotated files, then the new ones', (t) => {
  const log = join(tempDir(t), 'gateway.log');
  const file = new RotatingLogFile(log, { maxBytes: LINE_BYTES * 2, keep: 20 });
  file.append([1, 2, 3, 4, 5].map(line)); // .2: 1 2, .1: 3 4, current: 5
  const follower = new LogFollower(log);
  t.after(() => follower.close());
  file.append([line(6)]);
  const seq = (lines: string[]): number[] => lines.map((l) => Number((JSON.parse(l) as { seq: string }).seq));
  assert.deepEqual(seq(follower.linesBefore(LINE_BYTES * 3 + 10)), [3, 4, 5], 'ends where following starts, not at 6');
  assert.deepEqual(seq(follower.poll()), [6]);
});

test('logs -f waits for a log that does not exist yet, then shows it from its start', (t) => {
  const log = join(tempDir(t), 'gateway.log');
  const follower = new LogFollower(log);
  t.after(() => follower.close());
  assert.deepEqual(follower.poll(), []);
  assert.equal(existsSync(log), false);
  new RotatingLogFile(log).append([line(1), line(2)]);
  assert.deepEqual(follower.poll().length, 2);
});

test('worker output: lines split across chunks are joined, a last line without newline is kept, both streams end', async () => {
  const appended: string[] = [];
  const output = new WorkerOutput({ append: (lines) => appended.push(...lines) });
  const stdout = Readable.from([Buffer.from('{"a":1}\n{"b"'), Buffer.from(':2}\n'), Buffer.from('\u00e9'.repeat(3))]);
  const stderr = Readable.from([Buffer.from('Error: boom\n    at x\n')]);
  output.capture(stdout, stderr);
  await output.settled(5_000);
  assert.deepEqual([...appended].sort(), ['    at x', 'Error: boom', '{"a":1}', '{"b":2}', '\u00e9\u00e9\u00e9'].sort());
});
