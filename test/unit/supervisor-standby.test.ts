// The warm standby in-process, with fake workers and a fake clock: it boots beside the serving
// worker and takes no connection and no `resume` until the serving worker dies; then it is promoted
// at once (held and unacknowledged connections go to it) and a new standby boots, paced by the
// backoff when crashes repeat. The breaker, exit 75, a restart and a stop end it; its own deaths
// are not crashes of the gateway.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stampInput } from '../../src/runtime/worker-inputs.js';
import { BASE_RESTART_DELAY_MS, BREAKER_PAUSE_MS, CRASH_LOOP_COUNT, JITTER, RestartBackoff } from '../../src/runtime/backoff.js';
import { EXIT } from '../../src/exit-codes.js';
import { createJsonLog } from '../../src/runtime/json-log.js';
import { GatewayLog } from '../../src/runtime/log-sink.js';
import { LifecycleLog } from '../../src/runtime/lifecycle-log.js';
import { WorkerSupervisor } from '../../src/runtime/supervisor.js';
import { FakeClock, FakeSpawner, type FakeWorker } from './fake-worker.js';
import { tempDir } from './helpers.js';

async function withStandby(t: TestContext, spawner = new FakeSpawner()): Promise<{ supervisor: WorkerSupervisor; spawner: FakeSpawner; clock: FakeClock; lifecycle: LifecycleLog; serving: FakeWorker; standby: FakeWorker }> {
  const dir = tempDir(t, 'gh-standby-');
  const clock = new FakeClock();
  const lifecycle = new LifecycleLog(join(dir, 'lifecycle.jsonl'), 'gh_test');
  const supervisor = new WorkerSupervisor({
    entry: 'worker.js', args: [], env: {}, cwd: dir,
    log: createJsonLog({ sink: new GatewayLog(join(dir, 'gateway.log'), { echo: false }), role: 'monitor' }),
    lifecycle, restartDrainMs: 1_000, onFinal: () => {}, onChange: () => {}, onRestartRequest: () => {},
    spawner: spawner.spawn, clock, backoff: new RestartBackoff(clock, () => 0.5), standby: true,
  });
  await supervisor.start();
  const serving = spawner.last;
  await clock.advance(0);
  assert.equal(spawner.workers.length, 2, 'a standby boots once the first worker serves');
  return { supervisor, spawner, clock, lifecycle, serving, standby: spawner.last };
}

/** Through a function, so that an assertion about one moment does not narrow the type for the next. */
const servingPid = (supervisor: WorkerSupervisor): number | null => supervisor.worker?.pid ?? null;

const standbyPid = (supervisor: WorkerSupervisor): number | null => supervisor.standbyWorker?.pid ?? null;

const connectionsOf = (w: FakeWorker): number => w.received.filter((m) => m.type === 'connection').length;

test('the standby boots beside the serving worker and takes nothing: no connection, no resume', async (t) => {
  const { supervisor, serving, standby } = await withStandby(t);
  for (let i = 0; i < 5; i++) supervisor.forward(new Socket());
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(connectionsOf(serving), 5);
  assert.equal(connectionsOf(standby), 0);
  assert.equal(serving.resumed, 1);
  assert.equal(standby.resumed, 0);
  assert.deepEqual(supervisor.standbyWorker, { pid: standby.pid, startTime: standby.startTime, ready: true });
  assert.deepEqual(servingPid(supervisor), serving.pid);
});

test('a SIGKILL of the serving worker promotes the standby at once: it resumes, takes the waiting and untaken connections, and a new standby boots', async (t) => {
  const spawner = new FakeSpawner();
  spawner.next.push({ autoReady: true, ignoreConnections: true }); // the first worker dies holding an unacknowledged connection
  const { supervisor, clock, lifecycle, serving, standby } = await withStandby(t, spawner);
  supervisor.forward(new Socket());
  await clock.advance(0);
  serving.crash();
  supervisor.forward(new Socket()); // arrives while the monitor has not yet seen the exit
  await clock.advance(0);
  assert.deepEqual(servingPid(supervisor), standby.pid);
  assert.equal(standby.resumed, 1);
  assert.equal(standby.connections.length, 2);
  assert.equal(supervisor.crashes, 1);
  assert.equal(supervisor.restarts, 1);
  assert.equal(lifecycle.tail(100).filter((e) => e.event === 'standby_promoted').length, 1);
  // An isolated crash: the next standby boots at once.
  assert.equal(spawner.workers.length, 3);
  const next = spawner.last;
  assert.equal(next.resumed, 0);
  assert.deepEqual(supervisor.standbyWorker?.pid, next.pid);
});

test('a standby still booting when the serving worker dies is the one promoted once ready: no third worker', async (t) => {
  const spawner = new FakeSpawner();
  spawner.next.push({ autoReady: true }, {}); // the standby boots until the test says
  const { supervisor, clock, serving, standby } = await withStandby(t, spawner);
  assert.equal(supervisor.standbyWorker?.ready, false, 'not ready yet');
  serving.crash();
  await clock.advance(1_000);
  assert.equal(spawner.workers.length, 2);
  assert.ok(supervisor.worker === null, 'nothing serves until the standby is ready');
  standby.ready();
  await clock.advance(0);
  assert.deepEqual(servingPid(supervisor), standby.pid);
  assert.equal(standby.resumed, 1);
});

test('repeated crashes: each one is taken over at once, and the backoff paces the boot of the next standby', async (t) => {
  const { supervisor, spawner, clock, standby } = await withStandby(t);
  spawner.workers[0]!.crash();
  await clock.advance(0);
  const third = spawner.last; // the standby after the first (isolated) crash
  assert.equal(spawner.workers.length, 3);
  await clock.advance(1_000);
  standby.crash(); // the promoted standby dies a second later: a repeat
  await clock.advance(0);
  assert.deepEqual(servingPid(supervisor), third.pid, 'taken over at once all the same');
  assert.equal(spawner.workers.length, 3, 'the next standby waits for the backoff');
  await clock.advance(BASE_RESTART_DELAY_MS - 1);
  assert.equal(spawner.workers.length, 3);
  await clock.advance(1);
  assert.equal(spawner.workers.length, 4);
  assert.equal(supervisor.crashes, 2);
});

test('the breaker still opens when crashes loop, and takes the standby down with it', async (t) => {
  const { supervisor, spawner, clock } = await withStandby(t);
  for (let i = 0; i < CRASH_LOOP_COUNT; i++) {
    const serving = spawner.workers.find((w) => w.pid === servingPid(supervisor));
    assert.ok(serving !== undefined, `a worker serves before crash ${i + 1}`);
    serving.crash();
    // Through the backoff's delays until a worker serves again (or the breaker holds them back).
    await clock.advance(0);
    while (supervisor.worker === null && supervisor.breakerUntil === null) await clock.advance(clock.pendingDelays()[0] ?? 0);
    // ... and until its standby is up, so that the crash that opens the breaker has one to end.
    while (supervisor.standbyWorker?.ready !== true && supervisor.breakerUntil === null) await clock.advance(clock.pendingDelays()[0] ?? 0);
  }
  assert.equal(supervisor.breakerOpens, 1);
  assert.notEqual(supervisor.breakerUntil, null);
  assert.equal(supervisor.worker, null);
  assert.equal(spawner.alive.length, 0, 'no standby waits through the pause');
  const spawned = spawner.workers.length;
  await clock.advance(BREAKER_PAUSE_MS);
  assert.equal(spawner.workers.length, spawned + 2, 'after the pause: a worker, then its standby');
  assert.notEqual(supervisor.worker, null);
});

test('the standby dying is not a crash of the gateway: another boots, and the serving worker is untouched', async (t) => {
  const { supervisor, spawner, clock, serving, standby } = await withStandby(t);
  standby.crash(null, 'SIGKILL');
  await clock.advance(0);
  assert.equal(supervisor.crashes, 0);
  assert.equal(supervisor.lastCrash, null);
  assert.deepEqual(servingPid(supervisor), serving.pid);
  assert.equal(spawner.workers.length, 3);
  assert.equal(serving.received.filter((m) => m.type === 'drain').length, 0);
  // One that dies again at once waits for its own backoff (with its jitter) before the next try.
  spawner.last.crash(1, null);
  await clock.advance(BASE_RESTART_DELAY_MS * (1 - JITTER) - 1);
  assert.equal(spawner.workers.length, 3);
  await clock.advance(BASE_RESTART_DELAY_MS * 2 * JITTER + 1);
  assert.equal(spawner.workers.length, 4);
  assert.equal(supervisor.crashes, 0);
});

test('a standby that read a config.json changed since does not take over: a fresh worker reads the new file', async (t) => {
  const config = join(tempDir(t), 'config.json');
  writeFileSync(config, '{}');
  const spawner = new FakeSpawner({ autoReady: true, inputs: [stampInput(config)] });
  const { supervisor, clock, serving, standby } = await withStandby(t, spawner);
  writeFileSync(config, '{"agent": {"kind": "echo"}}');
  serving.crash();
  await clock.advance(0);
  assert.equal(standby.drainedAs, 'stop', 'the stale standby is ended');
  assert.equal(standby.resumed, 0);
  const fresh = spawner.workers[2]!;
  assert.equal(servingPid(supervisor), fresh.pid);
  assert.equal(fresh.resumed, 1);
});

test('the same for a standby still booting when the serving worker dies: checked once it is ready', async (t) => {
  const config = join(tempDir(t), 'config.json');
  writeFileSync(config, '{}');
  const spawner = new FakeSpawner({ autoReady: true });
  spawner.next.push({ autoReady: true }, { inputs: [stampInput(config)] });
  const { supervisor, clock, serving, standby } = await withStandby(t, spawner);
  writeFileSync(config, '{"agent": {"kind": "echo"}}');
  serving.crash();
  await clock.advance(0);
  standby.ready();
  await clock.advance(0);
  assert.equal(standby.drainedAs, 'stop');
  assert.equal(standby.resumed, 0);
  assert.equal(servingPid(supervisor), spawner.workers[2]!.pid);
});

test('a standby that exits 78 (the config on disk is broken) is not retried until the next restart; the serving worker is untouched', async (t) => {
  const { supervisor, spawner, clock, serving, standby } = await withStandby(t);
  standby.crash(EXIT.CONFIG, null);
  await clock.advance(60_000);
  assert.equal(spawner.workers.length, 2);
  assert.equal(servingPid(supervisor), serving.pid);
  assert.ok(supervisor.standbyWorker === null, 'no standby');
  // A crash now: no standby, so a fresh worker reads the config (and would exit 78 in turn).
  serving.crash();
  await clock.advance(0);
  assert.equal(servingPid(supervisor), spawner.workers[2]!.pid);
  assert.equal(spawner.workers.length, 4, 'the new worker gets a standby again');
  assert.equal(standbyPid(supervisor), spawner.workers[3]!.pid);
});

test('exit 75 asks for a new worker: the standby is ended and a fresh worker serves', async (t) => {
  const { supervisor, spawner, clock, serving, standby } = await withStandby(t);
  serving.crash(EXIT.RESTART, null);
  await clock.advance(0);
  assert.equal(standby.drainedAs, 'stop');
  const fresh = spawner.workers[2]!;
  assert.deepEqual(servingPid(supervisor), fresh.pid);
  assert.equal(fresh.resumed, 1);
});

test('a restart ends the standby (old code and config) and boots a new one; the new worker resumes only once both old ones exited', async (t) => {
  const spawner = new FakeSpawner();
  spawner.next.push({ autoReady: true, slowDrain: true }, { autoReady: true, slowDrain: true });
  const { supervisor, clock, serving, standby } = await withStandby(t, spawner);
  const outcome = await supervisor.replace('test');
  assert.equal(outcome.ok, true);
  const fresh = spawner.workers[2]!;
  assert.equal(serving.drainedAs, 'restart');
  assert.equal(standby.drainedAs, 'stop');
  serving.finishDrain();
  await clock.advance(0);
  assert.equal(fresh.resumed, 0, 'the old standby still runs');
  standby.finishDrain();
  await clock.advance(0);
  assert.equal(fresh.resumed, 1);
  assert.equal(spawner.workers.length, 4);
  assert.deepEqual(supervisor.standbyWorker?.pid, spawner.last.pid);
});

test('a stop drains the standby too, and boots no other', async (t) => {
  const { supervisor, spawner, clock, serving, standby } = await withStandby(t);
  await supervisor.drain(1_000);
  await clock.advance(60_000);
  assert.equal(serving.drainedAs, 'stop');
  assert.equal(standby.drainedAs, 'stop');
  assert.equal(spawner.alive.length, 0);
  assert.equal(spawner.workers.length, 2);
});

test('a standby still booting when a stop begins is drained once it is ready', async (t) => {
  const spawner = new FakeSpawner();
  spawner.next.push({ autoReady: true }, {});
  const { supervisor, clock, standby } = await withStandby(t, spawner);
  const drained = supervisor.drain(1_000);
  await clock.advance(0);
  assert.equal(standby.drainedAs, null, 'nothing is sent to a worker still booting');
  standby.ready();
  await drained;
  assert.equal(standby.drainedAs, 'stop');
  assert.equal(standby.resumed, 0);
  assert.equal(spawner.alive.length, 0);
});

test('without the setting there is no standby: a crash is answered by a new worker', async (t) => {
  const dir = tempDir(t, 'gh-standby-');
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const supervisor = new WorkerSupervisor({
    entry: 'worker.js', args: [], env: {}, cwd: dir,
    log: createJsonLog({ sink: new GatewayLog(join(dir, 'gateway.log'), { echo: false }), role: 'monitor' }),
    lifecycle: new LifecycleLog(join(dir, 'lifecycle.jsonl')), restartDrainMs: 1_000,
    onFinal: () => {}, onChange: () => {}, onRestartRequest: () => {}, spawner: spawner.spawn, clock, standby: false,
  });
  await supervisor.start();
  await clock.advance(60_000);
  assert.equal(spawner.workers.length, 1);
  assert.equal(supervisor.standbyWorker, null);
});
