// The planned-stop marker: judging it (none/mine/foreign/stale/malformed) and watching for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  judgeMarker, MARKER_TTL_MS, watchPlannedStop, writePlannedStop, type MarkerVerdict, type PlannedStopMarker,
} from '../../src/runtime/planned-stop.js';
import { selfIdentity } from '../../src/runtime/identity.js';
import { linux } from '../../src/platform/posix.js';
import { exited, IMPOSSIBLE_PID, isLinux, spawnSleeper, tempDir, waitFor } from './helpers.js';

const linuxOnly = { skip: !isLinux };

test('judgeMarker: no file is "none"', (t) => {
  const dir = tempDir(t);
  assert.deepEqual(judgeMarker(join(dir, 'planned-stop.json'), { pid: process.pid, startTime: 1 }), { kind: 'none' });
});

test('judgeMarker: a marker naming this exact process is "mine" and carries its fields', linuxOnly, (t) => {
  const file = join(tempDir(t), 'planned-stop.json');
  const self = selfIdentity();
  writePlannedStop(file, self, { timeoutMs: 1234, reason: 'update' });
  const verdict = judgeMarker(file, self);
  assert.equal(verdict.kind, 'mine');
  const marker = (verdict as { marker: PlannedStopMarker }).marker;
  assert.equal(marker.targetPid, self.pid);
  assert.equal(marker.targetStartTime, self.startTime);
  assert.equal(marker.stopperPid, process.pid);
  assert.equal(marker.timeoutMs, 1234);
  assert.equal(marker.reason, 'update');
});

test('judgeMarker: a marker for another live process is "foreign"; once it is dead, "stale"', linuxOnly, async (t) => {
  const file = join(tempDir(t), 'planned-stop.json');
  const child = await spawnSleeper(t);
  const target = { pid: child.pid!, startTime: linux.processStartTime(child.pid!)! };
  writePlannedStop(file, target);
  assert.deepEqual(judgeMarker(file, selfIdentity()), { kind: 'foreign' });
  child.kill('SIGKILL');
  await exited(child);
  const verdict = judgeMarker(file, selfIdentity());
  assert.equal(verdict.kind, 'stale');
  assert.match((verdict as { why: string }).why, new RegExp(`pid ${target.pid} is gone`));
});

test('judgeMarker: stale when too old, when it names our pid with another start time, or a dead pid', linuxOnly, (t) => {
  const file = join(tempDir(t), 'planned-stop.json');
  const self = selfIdentity();
  const why = (v: MarkerVerdict): string => (v.kind === 'stale' ? v.why : `not stale: ${v.kind}`);

  writePlannedStop(file, self);
  assert.equal(judgeMarker(file, self, Date.now() + MARKER_TTL_MS - 1_000).kind, 'mine', 'still fresh');
  assert.match(why(judgeMarker(file, self, Date.now() + MARKER_TTL_MS + 5_000)), /written \d+ s ago/);

  writePlannedStop(file, { pid: self.pid, startTime: self.startTime - 60_000 });
  assert.match(why(judgeMarker(file, self)), /pid reuse/);

  writePlannedStop(file, { pid: IMPOSSIBLE_PID, startTime: 1 });
  assert.match(why(judgeMarker(file, self)), /gone/);

  writeFileSync(file, JSON.stringify({ targetPid: self.pid, targetStartTime: self.startTime, stopperPid: 1, writtenAt: 'yesterday' }));
  assert.equal(judgeMarker(file, self).kind, 'stale', 'an unparsable date is not fresh');
});

test('judgeMarker: an empty file is a marker still being written ("none")', (t) => {
  const file = join(tempDir(t), 'planned-stop.json');
  for (const content of ['', '  \n']) {
    writeFileSync(file, content);
    assert.equal(judgeMarker(file, { pid: process.pid, startTime: 1 }).kind, 'none');
  }
});

test('judgeMarker: garbage and a wrong shape are "malformed"', (t) => {
  const file = join(tempDir(t), 'planned-stop.json');
  const self = { pid: process.pid, startTime: 1 };
  const cases: Array<[string, RegExp]> = [
    ['not json at all', /not valid JSON/],
    [JSON.stringify({ targetPid: 'me', targetStartTime: 1, stopperPid: 1, writtenAt: 'x' }), /targetPid/],
    [JSON.stringify([1, 2, 3]), /top level/],
  ];
  for (const [content, reason] of cases) {
    writeFileSync(file, content);
    const verdict = judgeMarker(file, self);
    assert.equal(verdict.kind, 'malformed', JSON.stringify(content));
    assert.match((verdict as { why: string }).why, reason);
  }
});

interface Recorder { stops: PlannedStopMarker[]; discards: MarkerVerdict[] }

function watchInto(t: { after(fn: () => void): void }, file: string, self: { pid: number; startTime: number }): Recorder {
  const rec: Recorder = { stops: [], discards: [] };
  const watcher = watchPlannedStop(file, self, (m) => rec.stops.push(m), (v) => rec.discards.push(v));
  t.after(() => watcher.close());
  return rec;
}

test('watchPlannedStop fires onStop exactly once for a marker naming self, and removes it', linuxOnly, async (t) => {
  const file = join(tempDir(t), 'planned-stop.json');
  const self = selfIdentity();
  const rec = watchInto(t, file, self);
  assert.equal(rec.stops.length + rec.discards.length, 0);

  writePlannedStop(file, self, { reason: 'first' });
  await waitFor('onStop', () => rec.stops.length > 0);
  await waitFor('marker removed', () => !existsSync(file));
  assert.equal(rec.stops[0]?.reason, 'first');

  // A second marker for the same process does not fire again.
  writePlannedStop(file, self, { reason: 'second' });
  await sleep(300);
  assert.equal(rec.stops.length, 1);
  assert.equal(rec.discards.length, 0);
});

test('watchPlannedStop acts at once on a marker already there when watching starts', linuxOnly, (t) => {
  const file = join(tempDir(t), 'planned-stop.json');
  const self = selfIdentity();
  writePlannedStop(file, self);
  const rec = watchInto(t, file, self);
  assert.equal(rec.stops.length, 1, 'synchronously, before any fs event');
  assert.equal(existsSync(file), false);
});

test('watchPlannedStop discards a malformed marker and leaves a foreign one alone', linuxOnly, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'planned-stop.json');
  const rec = watchInto(t, file, selfIdentity());

  writeFileSync(file, '{"targetPid": ');
  await waitFor('onDiscard', () => rec.discards.length > 0);
  await waitFor('malformed marker removed', () => !existsSync(file));
  assert.equal(rec.discards[0]?.kind, 'malformed');
  assert.equal(rec.stops.length, 0);

  const child = await spawnSleeper(t);
  writePlannedStop(file, { pid: child.pid!, startTime: linux.processStartTime(child.pid!)! });
  writeFileSync(join(dir, 'unrelated'), 'x'); // more events in the directory
  await sleep(300);
  assert.equal(existsSync(file), true, 'a marker for a live other process stays');
  assert.equal(rec.stops.length, 0);
  assert.ok(rec.discards.every((d) => d.kind === 'malformed'));
});

test('watchPlannedStop honours a marker written non-atomically (create, then write)', {
  ...linuxOnly,
}, async (t) => {
  const file = join(tempDir(t), 'planned-stop.json');
  const self = selfIdentity();
  const rec = watchInto(t, file, self);
  const fd = openSync(file, 'w'); // the file exists, empty, like `echo ... > planned-stop.json` mid-way
  await waitFor('the watcher looked at the empty file', () => rec.discards.length > 0, 1_000).catch(() => undefined);
  writeSync(fd, JSON.stringify({ targetPid: self.pid, targetStartTime: self.startTime, stopperPid: 1, writtenAt: new Date().toISOString() }));
  closeSync(fd);
  await waitFor('onStop', () => rec.stops.length > 0, 2_000).catch(() => undefined);
  assert.equal(rec.stops.length, 1, `discarded instead: ${JSON.stringify(rec.discards)}`);
});
