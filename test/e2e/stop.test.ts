// Stopping through every door: control endpoint, planned-stop marker, and escalation when the
// gateway is wedged. Only the fingerprinted process tree is ever signalled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { TestHome, eventually, isAlive, workerPid } from './harness.js';
import { writePlannedStop } from '../../src/runtime/planned-stop.js';
import { platform } from '../../src/platform/index.js';

test('a planned-stop marker naming the gateway stops it (drained, exit 0) without any signal', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const pid = await home.start();
  const startTime = platform.processStartTime(pid)!;
  writePlannedStop(home.paths().plannedStop, { pid, startTime }, { reason: 'updater' });
  await eventually('the gateway to stop', () => !isAlive(pid), 10_000);
  const events = home.lifecycle();
  assert.ok(events.some((e) => e.event === 'planned_stop_marker'));
  assert.equal(events.find((e) => e.event === 'stop')?.reason, 'updater');
  assert.equal(events.at(-1)?.event, 'exit');
  assert.equal(events.at(-1)?.code, 0);
  assert.ok(!existsSync(home.paths().plannedStop), 'the marker was consumed');
  assert.ok(!existsSync(home.paths().pidFile), 'the PID file was removed');
});

test('a marker for another process is left alone; a malformed one is removed; the gateway keeps running', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const pid = await home.start();
  const other = spawn('sleep', ['600'], { stdio: 'ignore' });
  t.after(() => other.kill('SIGKILL'));
  writePlannedStop(home.paths().plannedStop, { pid: other.pid!, startTime: platform.processStartTime(other.pid!)! });
  // Same pid, wrong start time: a marker written for an earlier process that had this pid.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(existsSync(home.paths().plannedStop), 'a live foreign target keeps its marker');
  writePlannedStop(home.paths().plannedStop, { pid, startTime: platform.processStartTime(pid)! - 5_000 });
  await eventually('the reused-pid marker to be discarded', () => !existsSync(home.paths().plannedStop));
  writeFileSync(home.paths().plannedStop, '{garbage');
  await eventually('the malformed marker to be removed', () => !existsSync(home.paths().plannedStop));
  assert.ok(isAlive(pid));
  assert.equal((await home.cli(['status'])).code, 0);
  assert.ok(isAlive(other.pid!));
});

test('stop of a wedged monitor (SIGSTOP) escalates to signals and exits 0', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const pid = await home.start();
  const worker = workerPid(home);
  process.kill(pid, 'SIGSTOP');
  const status = await home.cli(['status', '--json']);
  assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'wedged');
  assert.equal(status.code, 1);
  const stop = await home.cli(['stop', '--timeout', '1']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /SIGKILL|SIGTERM/);
  assert.ok(!isAlive(pid));
  await eventually('the worker to be gone', () => !isAlive(worker));
  assert.ok(home.lifecycle().some((e) => e.event === 'escalate'));
});

test('stop of a gateway whose worker is wedged kills the worker after the drain deadline and exits 0', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const pid = await home.start();
  const worker = workerPid(home);
  process.kill(worker, 'SIGSTOP');
  const status = await home.cli(['status', '--json']);
  assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'wedged');
  const stop = await home.cli(['stop', '--timeout', '0.5']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!isAlive(pid));
  assert.ok(!isAlive(worker));
  const drainEnd = home.lifecycle().find((e) => e.event === 'drain_end');
  assert.equal(drainEnd?.killed, true);
});
