// Restarts that must never strand the gateway (issue 12): two full restarts in a row, a restart in
// the middle of crash backoff, a full restart with a broken config, and a stray SIGTERM to the worker.
// Each holds status against the process table: one monitor, the one worker status names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_RESTART_DELAY_MS } from '../../src/runtime/backoff.js';
import { TestHome, eventually, healthz, isAlive, workerPid, workerCrashes } from './harness.js';
import { gatewayProcesses } from './processes.js';

interface StatusJson { running: boolean; pid: number | null; state: string; worker: { pid: number | null } | null; standby?: { pid: number } | null }

async function statusJson(home: TestHome): Promise<StatusJson> {
  const result = await home.cli(['status', '--json']);
  return JSON.parse(result.stdout) as StatusJson;
}

/** Status and the process table agree: one monitor, one serving worker and its standby (none
 *  when the config on disk cannot start one), and status names them. */
async function assertOneGateway(home: TestHome): Promise<void> {
  const status = await statusJson(home);
  const table = gatewayProcesses(home);
  assert.equal(status.running, true, JSON.stringify(status));
  assert.deepEqual(table.monitors, [status.pid], `monitors ${JSON.stringify(table)} vs status ${JSON.stringify(status)}`);
  const named = [status.worker?.pid, ...(status.standby ? [status.standby.pid] : [])].sort();
  assert.deepEqual([...table.workers].sort(), named, `workers ${JSON.stringify(table)} vs status ${JSON.stringify(status)}`);
}

test('two restart --full in a row leave exactly one monitor serving, never none', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  // The default confirm window: the first watcher still holds its lock while it confirms the
  // monitor it started, which is when the second restart arms its own watcher.
  const first = await home.cli(['start'], { env: { GATEHOUSE_START_CONFIRM_MS: '2000' } });
  assert.equal(first.code, 0, first.stderr);
  const a = await home.cli(['restart', '--full']);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  const b = await home.cli(['restart', '--full'], { timeoutMs: 90_000 });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  // Once every watcher has finished, the gateway still runs, once.
  await eventually('the respawn watchers to finish', () => home.lifecycle().filter((e) => e.event === 'respawn').length >= 2, 30_000);
  await sleep(2_500);
  await assertOneGateway(home);
  assert.equal((await healthz(home.apiUrl())).status, 200);
  assert.equal(home.lifecycle().filter((e) => e.event === 'start').length, 3, 'started once, then once per full restart');
});

test('a restart during crash backoff leaves one supervised worker, and status names it', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const monitor = await home.start();
  // Four crashes: the next respawn waits a second or more (backoff), and the restart lands in it.
  for (let crash = 1; crash <= 4; crash += 1) {
    const worker = await eventually(`worker ${crash}`, () => { try { const w = workerPid(home); return isAlive(w) ? w : null; } catch { return null; } });
    process.kill(worker, 'SIGKILL');
    await eventually(`crash ${crash} recorded`, () => workerCrashes(home) === crash);
  }
  const restart = await home.cli(['restart']);
  assert.equal(restart.code, 0, restart.stdout + restart.stderr);
  // Past the longest respawn delay the backoff could have scheduled for the fourth crash.
  await sleep(Math.min(MAX_RESTART_DELAY_MS, 3_000) + 1_000);
  await assertOneGateway(home);
  // Killing a worker the monitor does not serve through must not count as a crash; there is none.
  const serving = workerPid(home);
  for (const pid of gatewayProcesses(home).workers.filter((p) => p !== serving)) process.kill(pid, 'SIGKILL');
  await sleep(500);
  assert.equal(home.lifecycle().some((e) => e.event === 'breaker_open'), false, 'the breaker stays closed');
  assert.ok(isAlive(monitor));
  assert.equal((await healthz(home.apiUrl())).body.workerPid, serving);
});

test('restart --full with a broken config refuses at once and the old gateway keeps serving', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const monitor = await home.start();
  const worker = workerPid(home);
  home.writeRawConfig('{"agent": {"kind": "command"}}');
  const restart = await home.cli(['restart', '--full'], { timeoutMs: 20_000 });
  assert.equal(restart.code, 1, restart.stdout + restart.stderr);
  assert.match(restart.stderr, /config\.json/);
  assert.match(restart.stderr, /agent\.command/);
  assert.match(restart.stderr, /old gateway keeps serving/);
  assert.ok(isAlive(monitor));
  const health = await healthz(home.apiUrl());
  assert.deepEqual([health.status, health.body.pid, health.body.workerPid], [200, monitor, worker]);
  await sleep(1_000);
  assert.equal(home.lifecycle().filter((e) => e.event === 'start').length, 1, 'no new monitor was started');
  await assertOneGateway(home);
});

test('a SIGTERM to the worker that the monitor did not ask for is a crash: the worker is respawned', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const monitor = await home.start();
  const worker = workerPid(home);
  process.kill(worker, 'SIGTERM');
  const next = await eventually('a new worker to serve', async () => {
    const h = await healthz(home.apiUrl()).catch(() => null);
    return h !== null && h.status === 200 && h.body.workerPid !== worker ? h.body.workerPid : null;
  });
  assert.ok(isAlive(monitor), 'the monitor lives on');
  assert.ok(!isAlive(worker));
  const exit = home.lifecycle().find((e) => e.event === 'worker_exit' && e.workerPid === worker);
  assert.equal(exit?.planned, false);
  assert.equal(home.lifecycle().some((e) => e.event === 'stop'), false, 'the gateway did not stop');
  const status = await statusJson(home);
  assert.deepEqual([status.state, status.worker?.pid], ['running', next]);
  await assertOneGateway(home);
  // A stop the monitor asks for still ends everything with exit 0.
  const stop = await home.cli(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!isAlive(monitor));
  assert.equal(home.lifecycle().filter((e) => e.event === 'exit').at(-1)?.code, 0);
});
