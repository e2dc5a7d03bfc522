// lifecycle.jsonl: append/tail, tolerance of a torn line, rotation, and the unclean-exit check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastLifeEnd, LifecycleLog, previousLifeUnclean, readTailLines, type LifecycleEvent } from '../../src/runtime/lifecycle-log.js';
import { tempDir } from './helpers.js';

test('append then tail returns the events in order with pid, instance, ts and extra fields', (t) => {
  const file = join(tempDir(t), 'lifecycle.jsonl');
  const log = new LifecycleLog(file, 'inst-1');
  log.append('start', { argv: ['run'], detached: true });
  log.append('ready', { api: 'http://127.0.0.1:1' });
  log.append('exit', { code: 0 });
  const events = log.tail();
  assert.deepEqual(events.map((e) => e.event), ['start', 'ready', 'exit']);
  assert.ok(events.every((e) => e.pid === process.pid && e.instance === 'inst-1'));
  assert.ok(events.every((e) => !Number.isNaN(Date.parse(e.ts))));
  assert.deepEqual(events[0]?.['argv'], ['run']);
  assert.equal(events[0]?.['detached'], true);
  assert.equal(events[2]?.['code'], 0);
  assert.deepEqual(log.tail(1).map((e) => e.event), ['exit'], 'tail(n) keeps the newest');
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 4, 'one line per event');
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('a log without an instance (the CLI) writes no instance field', (t) => {
  const file = join(tempDir(t), 'lifecycle.jsonl');
  new LifecycleLog(file).append('stop');
  const [event] = new LifecycleLog(file).tail();
  assert.equal(event?.event, 'stop');
  assert.equal('instance' in event!, false);
});

test('tail of a missing file is empty', (t) => {
  assert.deepEqual(new LifecycleLog(join(tempDir(t), 'nope.jsonl')).tail(), []);
});

test('a torn last line and junk lines are skipped', (t) => {
  const file = join(tempDir(t), 'lifecycle.jsonl');
  const log = new LifecycleLog(file, 'a');
  log.append('start');
  appendFileSync(file, 'not json\n[1,2]\n{"no_event":1}\n');
  log.append('ready');
  appendFileSync(file, '{"ts":"2026-01-01T00:00:00.000Z","event":"wor'); // crash mid-write
  assert.deepEqual(log.tail().map((e) => e.event), ['start', 'ready']);
});

test('an event appended after a torn line is not lost', (t) => {
  const file = join(tempDir(t), 'lifecycle.jsonl');
  const log = new LifecycleLog(file, 'b');
  log.append('worker_start');
  appendFileSync(file, '{"ts":"2026-01-01T00:00:00.000Z","event":"wor'); // the previous life crashed mid-write
  log.append('start');
  assert.deepEqual(log.tail().map((e) => e.event), ['worker_start', 'start']);
});

test('tail reads only the end of a large file and drops the cut first line', (t) => {
  const file = join(tempDir(t), 'lifecycle.jsonl');
  const log = new LifecycleLog(file, 'big');
  const pad = 'x'.repeat(200);
  for (let i = 0; i < 600; i += 1) log.append('resume', { i, pad }); // ~150 KiB, above the 64 KiB tail window
  const events = log.tail(10_000);
  assert.ok(events.length > 100 && events.length < 600, `${events.length}`);
  assert.equal(events.at(-1)?.['i'], 599);
  const indexes = events.map((e) => e['i'] as number);
  assert.deepEqual(indexes, indexes.map((_, k) => indexes[0]! + k), 'a contiguous run up to the last event');
  const lines = readTailLines(file, 1_000);
  assert.ok(lines.every((l) => l.startsWith('{"ts"')), 'no partial first line');
});

test('rotateIfLarge moves a log above 1 MiB to .1 and leaves a small one', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'lifecycle.jsonl');
  const log = new LifecycleLog(file, 'r');
  log.rotateIfLarge(); // missing file: nothing to do, no throw
  assert.equal(existsSync(file), false);

  log.append('start');
  log.rotateIfLarge();
  assert.equal(existsSync(`${file}.1`), false);
  assert.equal(log.tail().length, 1);

  writeFileSync(file, `${'y'.repeat(1024 * 1024)}\n`);
  log.rotateIfLarge();
  assert.equal(existsSync(file), false);
  assert.equal(statSync(`${file}.1`).size, 1024 * 1024 + 1);
  log.append('start');
  assert.deepEqual(log.tail().map((e) => e.event), ['start'], 'a new file after rotation');
});

function ev(event: LifecycleEvent['event'], instance: string, pid = 1): LifecycleEvent {
  return { ts: '2026-01-01T00:00:00.000Z', event, pid, instance };
}

test('previousLifeUnclean: a clean exit, a missing exit, and only the current instance', () => {
  assert.equal(previousLifeUnclean([], 'cur'), null, 'no history');
  assert.equal(previousLifeUnclean([ev('start', 'a'), ev('ready', 'a'), ev('exit', 'a')], 'cur'), null, 'clean exit');
  const crashed = ev('start', 'a', 41);
  assert.equal(previousLifeUnclean([crashed, ev('ready', 'a')], 'cur'), crashed, 'no exit');
  assert.equal(previousLifeUnclean([ev('start', 'cur'), ev('ready', 'cur')], 'cur'), null, 'only the current instance');
  // Only the last other instance matters: an older crash was already reported by its successor.
  assert.equal(previousLifeUnclean([ev('start', 'a'), ev('start', 'b'), ev('exit', 'b')], 'cur'), null);
  const b = ev('start', 'b', 42);
  assert.equal(previousLifeUnclean([ev('start', 'a'), ev('exit', 'a'), b, ev('start', 'cur')], 'cur'), b);
  // An exit of another instance does not clean up this one.
  const c = ev('start', 'c');
  assert.equal(previousLifeUnclean([c, ev('exit', 'a')], 'cur'), c);
});

test('lastLifeEnd: never ran, a start with no exit, a planned exit 0, any other exit', () => {
  assert.deepEqual(lastLifeEnd([ev('ready', 'a')]), { kind: 'never' });
  const start = ev('start', 'b', 7);
  assert.deepEqual(lastLifeEnd([ev('start', 'a'), { ...ev('exit', 'a'), code: 0 }, start, ev('ready', 'b'), ev('worker_exit', 'b')]), { kind: 'unclean', start });
  const planned = { ...ev('exit', 'a'), code: 0 };
  assert.deepEqual(lastLifeEnd([ev('start', 'a'), planned, ev('drain_end', 'a')]), { kind: 'exit', exit: planned, code: 0, planned: true });
  const died = { ...ev('exit', 'a'), code: 78, reason: 'bad config' };
  assert.deepEqual(lastLifeEnd([ev('start', 'a'), died]), { kind: 'exit', exit: died, code: 78, planned: false });
  const signalled = { ...ev('exit', 'a'), code: 143 };
  const end = lastLifeEnd([ev('start', 'a'), signalled]);
  assert.ok(end.kind === 'exit' && !end.planned, 'a stray SIGTERM (143) is not a planned stop');
});
