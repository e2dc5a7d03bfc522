// The Linux platform object on real processes: start times, identity, descendants, zombies, port
// owners, and the control endpoint naming.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allProcStats, isZombie } from '../../src/platform/linux-proc.js';
import { linux } from '../../src/platform/posix.js';
import { exited, IMPOSSIBLE_PID, isLinux, killQuietly, spawnNode, spawnSleeper, waitFor } from './helpers.js';

const linuxOnly = { skip: !isLinux };

test('processStartTime of this process is stable and matches its identity', linuxOnly, () => {
  const first = linux.processStartTime(process.pid);
  assert.ok(first !== null && first > 0);
  assert.equal(linux.processStartTime(process.pid), first);
  assert.equal(linux.isAlive(process.pid), true);
  assert.equal(linux.matchesIdentity({ pid: process.pid, startTime: first }), true);
  assert.equal(linux.matchesIdentity({ pid: process.pid, startTime: first + 10 }), false, 'wrong start time');
  assert.equal(linux.matchesIdentity({ pid: process.pid, startTime: first - 1_000 }), false, 'wrong start time');
});

test('a pid that does not exist has no start time and no identity', linuxOnly, () => {
  assert.equal(linux.processStartTime(IMPOSSIBLE_PID), null);
  assert.equal(linux.isAlive(IMPOSSIBLE_PID), false);
  assert.equal(linux.matchesIdentity({ pid: IMPOSSIBLE_PID, startTime: 1 }), false);
  assert.equal(linux.signal(IMPOSSIBLE_PID, 'SIGTERM'), false);
});

test('a child has its own start time; after it exits it is neither alive nor matching', linuxOnly, async (t) => {
  const child = await spawnSleeper(t);
  const pid = child.pid!;
  const start = linux.processStartTime(pid);
  assert.ok(start !== null);
  assert.ok(start >= linux.processStartTime(process.pid)!);
  assert.equal(linux.matchesIdentity({ pid, startTime: start }), true);
  assert.equal(linux.signal(pid, 'SIGTERM'), true);
  await exited(child);
  assert.equal(linux.isAlive(pid), false);
  assert.equal(linux.matchesIdentity({ pid, startTime: start }), false);
});

test('descendants lists a child tree, deepest first, with start times', linuxOnly, async (t) => {
  const script = `
    const { spawn } = require('node:child_process');
    const g = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    console.log(g.pid);
    setTimeout(() => {}, 60000);`;
  const { child, firstLine } = await spawnNode(t, script);
  const grandchild = Number(firstLine);
  t.after(() => killQuietly(grandchild));
  assert.ok(Number.isInteger(grandchild) && grandchild > 0);
  await waitFor('grandchild in /proc', () => linux.isAlive(grandchild));

  const underChild = linux.descendants(child.pid!);
  assert.deepEqual(underChild, [linux.processIdentity(grandchild)]);

  const underUs = linux.descendants(process.pid).map((d) => d.pid);
  const gi = underUs.indexOf(grandchild);
  const ci = underUs.indexOf(child.pid!);
  assert.ok(gi >= 0 && ci >= 0, `both listed: ${underUs.join(',')}`);
  assert.ok(gi < ci, 'deepest first');
  assert.deepEqual(linux.descendants(grandchild), []);
});

test('a zombie is not alive, has no start time and is not a descendant', linuxOnly, async (t) => {
  // sh forks `sleep 0`, then execs `sleep 30`, which never reaps it: a zombie whose parent lives.
  const parent = spawn('sh', ['-c', 'sleep 0 & exec sleep 30'], { stdio: 'ignore' });
  t.after(async () => { killQuietly(parent.pid); await exited(parent); });
  const zombie = await waitFor('a zombie child of sleep', () =>
    allProcStats().find((s) => s.ppid === parent.pid && isZombie(s)));
  assert.equal(zombie.state, 'Z');
  assert.equal(linux.isAlive(zombie.pid), false);
  assert.equal(linux.processStartTime(zombie.pid), null);
  assert.equal(linux.descendants(parent.pid!).some((d) => d.pid === zombie.pid), false);
});

test('findPortOwner names this process for a port it listens on', linuxOnly, async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const owner = linux.findPortOwner('127.0.0.1', port);
  assert.ok(owner !== null);
  assert.equal(owner.pid, process.pid);
  assert.match(owner.command, /node/);
});

