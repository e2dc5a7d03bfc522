// The PID file (read, write, owned removal) and identity checks against the OS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkIdentity, selfIdentity } from '../../src/runtime/identity.js';
import { readPidFile, removePidFileIfOwned, writePidFile, type PidRecord } from '../../src/runtime/pid-file.js';
import { linux } from '../../src/platform/posix.js';
import { exited, IMPOSSIBLE_PID, isLinux, spawnSleeper, tempDir } from './helpers.js';

const linuxOnly = { skip: !isLinux };

function record(instance: string): PidRecord {
  return { kind: 'gatehouse-monitor', pid: 4242, startTime: 1_700_000_000_000, instance, argv: ['run', '--profile', 'x'], version: '0.1.0', profile: 'x' };
}

function reason(read: ReturnType<typeof readPidFile>): string {
  return read.kind === 'invalid' ? read.reason : `not invalid: ${read.kind}`;
}

test('readPidFile tells missing, empty, corrupt and foreign apart', (t) => {
  const file = join(tempDir(t), 'gatehouse.pid');
  assert.deepEqual(readPidFile(file), { kind: 'missing' });
  writeFileSync(file, '');
  assert.match(reason(readPidFile(file)), /empty/);
  writeFileSync(file, '{"kind":"gatehouse-monitor","pid":');
  assert.match(reason(readPidFile(file)), /not valid JSON/);
  writeFileSync(file, JSON.stringify({ ...record('i'), kind: 'pm2-daemon' }));
  assert.match(reason(readPidFile(file)), /^kind: /);
  writeFileSync(file, JSON.stringify({ ...record('i'), pid: -3 }));
  assert.match(reason(readPidFile(file)), /pid/);
  writeFileSync(file, '12345\n'); // a classic bare-pid file
  assert.equal(readPidFile(file).kind, 'invalid');
});

test('writePidFile then readPidFile round-trips, private to the user', (t) => {
  const file = join(tempDir(t), 'gatehouse.pid');
  const rec = record('inst-1');
  writePidFile(file, rec);
  assert.deepEqual(readPidFile(file), { kind: 'ok', value: rec });
  if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('removePidFileIfOwned keeps a file naming another instance and removes its own', (t) => {
  const file = join(tempDir(t), 'gatehouse.pid');
  writePidFile(file, record('successor'));
  removePidFileIfOwned(file, 'me');
  assert.equal(existsSync(file), true);
  assert.equal(readPidFile(file).kind, 'ok');

  writePidFile(file, record('me'));
  removePidFileIfOwned(file, 'me');
  assert.equal(existsSync(file), false);

  removePidFileIfOwned(file, 'me'); // missing: no throw
  writeFileSync(file, 'garbage');
  removePidFileIfOwned(file, 'me');
  assert.equal(existsSync(file), false, 'a corrupt file names nobody: removed');
});

test('checkIdentity: match for this process, reused for another start time, dead for no process', linuxOnly, () => {
  const self = selfIdentity();
  assert.equal(self.pid, process.pid);
  assert.deepEqual(selfIdentity(), self, 'stable');
  assert.deepEqual(checkIdentity(self), { verdict: 'match' });
  assert.deepEqual(checkIdentity({ pid: self.pid, startTime: self.startTime - 5_000 }), { verdict: 'reused', actualStartTime: self.startTime });
  assert.deepEqual(checkIdentity({ pid: IMPOSSIBLE_PID, startTime: self.startTime }), { verdict: 'dead' });
});

test('checkIdentity follows a real child from match to dead', linuxOnly, async (t) => {
  const child = await spawnSleeper(t);
  const identity = { pid: child.pid!, startTime: linux.processStartTime(child.pid!)! };
  assert.deepEqual(checkIdentity(identity), { verdict: 'match' });
  child.kill('SIGKILL');
  await exited(child);
  assert.deepEqual(checkIdentity(identity), { verdict: 'dead' });
});
