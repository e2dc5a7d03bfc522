// /proc/PID/stat parsing and reading, on fabricated lines and on real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isZombie, parseProcStat, readProcStat, startTimeFromTicks, type ProcStat } from '../../src/platform/linux-proc.js';
import { IMPOSSIBLE_PID, isLinux, spawnNode } from './helpers.js';

/** A stat line with fields 3..52; field 22 (start time) and field 4 (ppid) set. */
function statLine(pid: number, comm: string, state: string, ppid: number, startTicks: number): string {
  const fields: string[] = [];
  for (let n = 3; n <= 52; n += 1) fields.push(String(n * 11));
  fields[0] = state;
  fields[1] = String(ppid);
  fields[22 - 3] = String(startTicks);
  return `${pid} (${comm}) ${fields.join(' ')}\n`;
}

test('parseProcStat splits after the last ")" so a command name with spaces and ")" parses', () => {
  for (const comm of ['node', 'a b', 'x) S 99 (y', ') )', '((']) {
    const parsed = parseProcStat(statLine(4242, comm, 'S', 17, 987_654));
    assert.deepEqual(parsed, { pid: 4242, state: 'S', ppid: 17, startTicks: 987_654 }, comm);
  }
});

test('parseProcStat refuses lines without a ")" or with missing fields', () => {
  assert.equal(parseProcStat('garbage'), null);
  assert.equal(parseProcStat(''), null);
  assert.equal(parseProcStat('12 (sh) S 1 2 3'), null, 'field 22 missing');
  assert.equal(parseProcStat('12 (sh) S x 2 3'), null, 'ppid not a number');
});

test('isZombie recognises Z, X and x only', () => {
  const stat = (state: string): ProcStat => ({ pid: 1, state, ppid: 0, startTicks: 1 });
  assert.deepEqual(['R', 'S', 'D', 'T', 't', 'I', 'Z', 'X', 'x'].map((s) => isZombie(stat(s))),
    [false, false, false, false, false, false, true, true, true]);
});

test('readProcStat reads this process', { skip: !isLinux }, () => {
  const self = readProcStat(process.pid);
  assert.ok(self !== null);
  assert.equal(self.pid, process.pid);
  assert.equal(self.ppid, process.ppid);
  assert.ok(['R', 'S'].includes(self.state), self.state);
  assert.ok(Number.isInteger(self.startTicks) && self.startTicks > 0);
  assert.equal(readProcStat(process.pid)?.startTicks, self.startTicks, 'start ticks are stable');
  assert.equal(readProcStat(IMPOSSIBLE_PID), null);
});

test('a child whose name holds spaces and ")" is read correctly; it started after us', { skip: !isLinux }, async (t) => {
  const { child } = await spawnNode(t, "process.title = 'a b) c'; console.log('ready'); setTimeout(() => {}, 60_000);");
  const pid = child.pid!;
  const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  assert.ok(raw.startsWith(`${pid} (a b) c) `), `the kernel name is the title: ${raw.slice(0, 40)}`);
  const stat = readProcStat(pid);
  assert.ok(stat !== null);
  assert.equal(stat.pid, pid);
  assert.equal(stat.ppid, process.pid);
  assert.ok(['R', 'S'].includes(stat.state), stat.state);
  const self = readProcStat(process.pid)!;
  assert.ok(stat.startTicks >= self.startTicks);
  const selfStart = startTimeFromTicks(self.startTicks);
  const childStart = startTimeFromTicks(stat.startTicks);
  assert.ok(childStart >= selfStart, `${childStart} >= ${selfStart}`);
  // btime has a one-second resolution: allow that much slack against the wall clock.
  assert.ok(childStart <= Date.now() + 2_000, 'a start time is not in the future');
});

test('startTimeFromTicks is linear in ticks at 100 per second', { skip: !isLinux }, () => {
  assert.equal(startTimeFromTicks(1_000) - startTimeFromTicks(0), 10_000);
  assert.equal(startTimeFromTicks(1) - startTimeFromTicks(0), 10);
});
