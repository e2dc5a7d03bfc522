// A wall-clock step after boot (NTP at startup, a resumed laptop, `date -s`) moves the kernel's boot
// time (btime in /proc/stat), and with it every start time computed as btime + ticks; the start
// ticks themselves (field 22 of /proc/PID/stat) do not move. Simulated through the btime source,
// without touching the clock: identities recorded before the step must still match after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIdentity, respawnArgs } from '../../src/runtime/respawn.js';
import { helloIdentity } from '../../src/runtime/protocol.js';
import { setSystemStatReader } from '../../src/platform/linux-proc.js';
import { linux } from '../../src/platform/posix.js';
import { checkIdentity } from '../../src/runtime/identity.js';
import { readPidFile, writePidFile } from '../../src/runtime/pid-file.js';
import { judgeMarker, writePlannedStop } from '../../src/runtime/planned-stop.js';
import { killProcessTree, waitGone } from '../../src/runtime/process-tree.js';
import { isLinux, spawnSleeper, tempDir } from './helpers.js';

const STEP_S = 3_600;

/** From now on, btime reads STEP_S later than the kernel's: what a clock stepped forward looks like. */
function stepTheClock(t: { after(fn: () => void): void }): void {
  const real = readFileSync('/proc/stat', 'utf8');
  setSystemStatReader(() => real.replace(/^btime (\d+)$/m, (_, s: string) => `btime ${Number(s) + STEP_S}`));
  t.after(() => setSystemStatReader(undefined));
}

test('identities recorded before a wall-clock step still match after it; pid reuse is still caught', { skip: !isLinux }, async (t) => {
  const child = await spawnSleeper(t);
  const pid = child.pid!;
  const before = linux.processIdentity(pid)!;
  assert.equal(typeof before.startTicks, 'number', 'Linux identities carry the raw start ticks');
  const dir = tempDir(t);
  const pidFile = join(dir, 'gatehouse.pid');
  writePidFile(pidFile, { kind: 'gatehouse-monitor', pid, startTime: before.startTime, startTicks: before.startTicks, instance: 'i', argv: [], version: '0', profile: 'p' });
  const watcherArgs = respawnArgs('p', { target: before, caller: null, reason: 'r', stopIfRunning: false, deadlineMs: 1 });

  stepTheClock(t);
  const after = linux.processIdentity(pid)!;
  assert.equal(after.startTime, before.startTime + STEP_S * 1000, 'the step moved the start time computed from btime');
  assert.equal(after.startTicks, before.startTicks);

  assert.ok(linux.matchesIdentity(before), 'the identity taken before the step');
  const record = readPidFile(pidFile);
  assert.ok(record.kind === 'ok');
  assert.deepEqual(checkIdentity(record.value), { verdict: 'match' }, 'the PID file written before the step');
  const target = parseIdentity(watcherArgs[watcherArgs.indexOf('--target') + 1] as string);
  assert.deepEqual(target, before, 'a respawn watcher armed before the step');
  assert.ok(linux.matchesIdentity(target));
  assert.ok(linux.matchesIdentity(helloIdentity({ instance: 'i', pid, startTime: before.startTime, startTicks: before.startTicks, profile: 'p', version: '0', state: 'running', supervised: false })), 'a hello from a monitor that booted before the step');
  // A stopper after the step writes the marker with what it reads now; the monitor booted before it.
  const marker = join(dir, 'planned-stop.json');
  writePlannedStop(marker, after);
  assert.equal(judgeMarker(marker, before).kind, 'mine');

  // Reuse: the same pid with other ticks is another process, step or not.
  assert.equal(linux.matchesIdentity({ ...before, startTicks: (before.startTicks as number) + 1 }), false);
  assert.equal(checkIdentity({ ...before, startTicks: (before.startTicks as number) + 1 }).verdict, 'reused');
});

test('records without ticks (older PID files, markers, watchers) are still read, and compared by start time', { skip: !isLinux }, async (t) => {
  const child = await spawnSleeper(t);
  const pid = child.pid!;
  const { startTime } = linux.processIdentity(pid)!;
  const dir = tempDir(t);
  const pidFile = join(dir, 'gatehouse.pid');
  writePidFile(pidFile, { kind: 'gatehouse-monitor', pid, startTime, instance: 'i', argv: [], version: '0', profile: 'p' });
  const record = readPidFile(pidFile);
  assert.ok(record.kind === 'ok' && record.value.startTicks === undefined);
  assert.deepEqual(checkIdentity(record.value), { verdict: 'match' });
  assert.deepEqual(parseIdentity(`${pid}:${startTime}`), { pid, startTime });
  assert.throws(() => parseIdentity(`${pid}:${startTime}:x`), /PID:STARTTIME\[:TICKS\]/);
  // What every identity suffered before ticks were recorded: the step makes it look like pid reuse.
  stepTheClock(t);
  assert.equal(linux.matchesIdentity({ pid, startTime }), false);
});

test('descendants and discovery identities carry ticks too', { skip: !isLinux }, async (t) => {
  const child = await spawnSleeper(t);
  const mine = linux.descendants(process.pid).find((d) => d.pid === child.pid);
  assert.equal(mine?.startTicks, linux.processIdentity(child.pid!)?.startTicks);
});

test('stop escalation after a wall-clock step still signals the recorded tree, and waits it out', { skip: !isLinux }, async (t) => {
  const child = await spawnSleeper(t);
  const before = linux.processIdentity(child.pid!)!;
  stepTheClock(t);
  const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  assert.equal(killProcessTree(before, 'SIGTERM'), 1, 'the identity taken before the step is still the process: it is signalled');
  assert.equal(await exited, 'SIGTERM');
  assert.equal(await waitGone(before, 5_000), true);
});
