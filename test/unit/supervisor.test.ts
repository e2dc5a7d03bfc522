// The supervisor in-process, with fake worker processes and a fake clock: handover of connections
// at start and on a restart, immediate respawn and backoff, the crash-loop breaker, exit 78, and a
// respawn that becomes ready after a stop began. The same supervisor runs in the e2e tests with real
// workers; here every step is driven, so each ordering can be checked.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { BASE_RESTART_DELAY_MS, BREAKER_PAUSE_MS, CRASH_LOOP_COUNT, RestartBackoff } from '../../src/runtime/backoff.js';
import { EXIT } from '../../src/exit-codes.js';
import { createJsonLog } from '../../src/runtime/json-log.js';
import { GatewayLog } from '../../src/runtime/log-sink.js';
import { LifecycleLog } from '../../src/runtime/lifecycle-log.js';
import { MAX_PENDING_CONNECTIONS, WorkerStartError, WorkerSupervisor, type SupervisorOptions } from '../../src/runtime/supervisor.js';
import { FakeClock, FakeSpawner, acceptedConnection, settle } from './fake-worker.js';
import { tempDir } from './helpers.js';

const NO_JITTER = (): number => 0.5;

interface Rig {
  readonly supervisor: WorkerSupervisor;
  readonly spawner: FakeSpawner;
  readonly clock: FakeClock;
  readonly lifecycle: LifecycleLog;
  readonly finals: Array<{ code: number; reason: string }>;
  events(name: string): Array<Record<string, unknown>>;
}

function rig(t: TestContext, extra: Partial<SupervisorOptions> = {}, spawner = new FakeSpawner()): Rig {
  const dir = tempDir(t, 'gh-supervisor-');
  const clock = new FakeClock();
  const lifecycle = new LifecycleLog(join(dir, 'lifecycle.jsonl'), 'gh_test');
  const finals: Array<{ code: number; reason: string }> = [];
  const supervisor = new WorkerSupervisor({
    entry: 'worker.js', args: [], env: {}, cwd: dir,
    log: createJsonLog({ sink: new GatewayLog(join(dir, 'gateway.log'), { echo: false }), role: 'monitor' }),
    lifecycle, restartDrainMs: 1_000,
    onFinal: (code, reason) => finals.push({ code, reason }),
    onChange: () => {}, onRestartRequest: () => {},
    spawner: spawner.spawn, clock, backoff: new RestartBackoff(clock, NO_JITTER),
    ...extra,
  });
  return {
    supervisor, spawner, clock, lifecycle, finals,
    events: (name) => lifecycle.tail(500).filter((e) => e.event === name) as Array<Record<string, unknown>>,
  };
}

/** An accepted connection with no peer: enough to follow where the supervisor hands it. */
function socket(): Socket {
  return new Socket();
}

function connectionsSentTo(worker: { received: ReadonlyArray<{ type: string }> }): number {
  return worker.received.filter((m) => m.type === 'connection').length;
}

test('start: connections that arrive before the worker is ready are held, then handed to it; it is told to resume', async (t) => {
  const spawner = new FakeSpawner({});
  const { supervisor } = rig(t, {}, spawner);
  const started = supervisor.start();
  const worker = spawner.last;
  supervisor.forward(socket());
  supervisor.forward(socket());
  await settle();
  assert.equal(connectionsSentTo(worker), 0, 'nothing is sent to a worker that is not ready');
  worker.ready();
  await started;
  await settle();
  assert.equal(worker.connections.length, 2);
  assert.equal(worker.resumed, 1);
  assert.deepEqual(supervisor.worker, { pid: worker.pid, startTime: worker.startTime });
});

test('start: a worker that exits before it is ready rejects start with its exit, and is not respawned', async (t) => {
  const spawner = new FakeSpawner({ exitAtBoot: EXIT.CONFIG });
  const { supervisor, clock } = rig(t, {}, spawner);
  await assert.rejects(supervisor.start(), (error: unknown) => error instanceof WorkerStartError && error.exit.code === EXIT.CONFIG);
  await clock.advance(BREAKER_PAUSE_MS);
  assert.equal(spawner.workers.length, 1);
});

test('restart: new connections stay with the old worker until the new one is ready, then go to the new one; resume waits for the old to exit', async (t) => {
  const spawner = new FakeSpawner();
  const { supervisor } = rig(t, {}, spawner);
  spawner.next.push({ autoReady: true, slowDrain: true });
  await supervisor.start();
  const old = spawner.last;
  spawner.next.push({}); // the new worker boots when the test says
  const replaced = supervisor.replace('test');
  await settle();
  const fresh = spawner.last;
  assert.notEqual(fresh, old);
  supervisor.forward(socket());
  await settle();
  assert.equal(old.connections.length, 1, 'while the new worker boots, the old one serves');
  assert.equal(fresh.resumed, 0);
  fresh.ready();
  const outcome = await replaced;
  assert.deepEqual(outcome, { ok: true, oldPid: old.pid, newPid: fresh.pid });
  supervisor.forward(socket());
  await settle();
  assert.equal(fresh.connections.length, 1);
  assert.equal(old.connections.length, 1);
  assert.equal(old.drainedAs, 'restart');
  assert.equal(fresh.resumed, 0, 'the old worker still finishes its messages: no resume beside it');
  old.finishDrain();
  await settle();
  assert.equal(old.connected, false);
  assert.equal(fresh.resumed, 1);
  assert.equal(supervisor.restarts, 1);
});

test('a restart during crash backoff takes the place of the pending respawn: never a second worker', async (t) => {
  const spawner = new FakeSpawner();
  const { supervisor, clock } = rig(t, {}, spawner);
  await supervisor.start();
  spawner.last.crash();
  await clock.advance(0);
  await clock.advance(1_000);
  spawner.last.crash(); // the second crash in a row waits BASE_RESTART_DELAY_MS
  await settle();
  assert.deepEqual(clock.pendingDelays(), [BASE_RESTART_DELAY_MS]);
  const outcome = await supervisor.replace('test');
  assert.equal(outcome.ok, true);
  assert.equal(spawner.workers.length, 3);
  await clock.advance(BASE_RESTART_DELAY_MS * 10);
  assert.equal(spawner.workers.length, 3, 'the cancelled respawn started nothing');
  assert.equal(spawner.alive.length, 1);
});

test('restart: a new worker that cannot start leaves the old one serving', async (t) => {
  const spawner = new FakeSpawner();
  const { supervisor } = rig(t, {}, spawner);
  await supervisor.start();
  const old = spawner.last;
  spawner.next.push({ exitAtBoot: EXIT.CONFIG });
  const outcome = await supervisor.replace('test');
  assert.equal(outcome.ok, false);
  supervisor.forward(socket());
  await settle();
  assert.equal(old.connections.length, 1);
  assert.equal(old.drainedAs, null);
  assert.deepEqual(supervisor.worker?.pid, old.pid);
});

test('a connection the dying worker never acknowledged goes to its successor, not lost', async (t) => {
  const spawner = new FakeSpawner();
  const { supervisor, clock } = rig(t, {}, spawner);
  spawner.next.push({ autoReady: true, ignoreConnections: true });
  await supervisor.start();
  const dying = spawner.last;
  supervisor.forward(socket());
  await settle();
  assert.equal(dying.connections.length, 0);
  dying.crash();
  await settle();
  await clock.advance(0); // an isolated crash respawns at once
  const successor = spawner.last;
  assert.notEqual(successor, dying);
  assert.equal(successor.connections.length, 1, 'the unacknowledged connection was handed on');
});

test('an isolated crash respawns at once; crashes that repeat back off; the worker resumes what the dead one left', async (t) => {
  const spawner = new FakeSpawner();
  const { supervisor, clock, events } = rig(t, {}, spawner);
  await supervisor.start();
  spawner.last.crash();
  await settle();
  assert.deepEqual(clock.pendingDelays(), [0], 'the first crash: no delay');
  await clock.advance(0);
  assert.equal(spawner.workers.length, 2);
  const second = spawner.last;
  assert.equal(second.resumed, 1);
  // It crashes again a second later: the backoff's first step.
  await clock.advance(1_000);
  second.crash();
  await settle();
  assert.deepEqual(clock.pendingDelays(), [BASE_RESTART_DELAY_MS]);
  await clock.advance(BASE_RESTART_DELAY_MS - 1);
  assert.equal(spawner.workers.length, 2, 'not before the delay');
  await clock.advance(1);
  assert.equal(spawner.workers.length, 3);
  assert.equal(supervisor.crashes, 2);
  assert.equal(events('worker_exit').length, 2);
});

test('a clean exit 0 nobody asked for is a crash: respawned; exit 75 respawns at once and is not a crash', async (t) => {
  const spawner = new FakeSpawner();
  const { supervisor, clock } = rig(t, {}, spawner);
  await supervisor.start();
  spawner.last.crash(EXIT.OK, null);
  await clock.advance(0);
  assert.equal(spawner.workers.length, 2);
  assert.equal(supervisor.crashes, 1);
  spawner.last.crash(EXIT.RESTART, null);
  await settle();
  assert.deepEqual(clock.pendingDelays(), [0]);
  await clock.advance(0);
  assert.equal(spawner.workers.length, 3);
  assert.equal(supervisor.crashes, 1);
});

test('exit 78 from a serving worker ends the gateway (onFinal) and nothing is respawned', async (t) => {
  const spawner = new FakeSpawner();
  const { supervisor, clock, finals } = rig(t, {}, spawner);
  await supervisor.start();
  spawner.last.crash(EXIT.CONFIG, null);
  await settle();
  await clock.advance(60_000);
  assert.equal(finals.length, 1);
  assert.equal(finals[0]?.code, EXIT.CONFIG);
  assert.equal(spawner.workers.length, 1);
});

test('the breaker: CRASH_LOOP_COUNT crashes in the window pause respawns; waiting clients get a 503 at once; then it tries again', async (t) => {
  const spawner = new FakeSpawner();
  const { supervisor, clock, events } = rig(t, {}, spawner);
  await supervisor.start();
  for (let i = 1; i < CRASH_LOOP_COUNT; i++) {
    spawner.last.crash();
    await settle();
    await clock.advance(clock.pendingDelays()[0] ?? 0);
    assert.equal(spawner.workers.length, i + 1);
  }
  assert.equal(supervisor.breakerUntil, null);
  // A client waits for a worker: the last crash of the loop must answer it, not leave it hanging.
  const waiting = await acceptedConnection(t);
  spawner.last.crash();
  supervisor.forward(waiting.accepted);
  await settle();
  assert.equal(supervisor.breakerOpens, 1);
  assert.equal(supervisor.breakerUntil, clock.now() + BREAKER_PAUSE_MS);
  assert.deepEqual(clock.pendingDelays(), [BREAKER_PAUSE_MS]);
  await waiting.closed;
  assert.match(waiting.received(), /^HTTP\/1\.1 503 /);
  assert.match(waiting.received(), /crash_loop/);
  assert.equal(events('breaker_open').length, 1);
  // While it is open, a new connection is answered by the monitor too, and no worker starts.
  const during = await acceptedConnection(t);
  supervisor.forward(during.accepted);
  await during.closed;
  assert.match(during.received(), /^HTTP\/1\.1 503 /);
  await clock.advance(BREAKER_PAUSE_MS - 1);
  assert.equal(spawner.workers.length, CRASH_LOOP_COUNT);
  await clock.advance(1);
  assert.equal(spawner.workers.length, CRASH_LOOP_COUNT + 1);
  assert.equal(supervisor.breakerUntil, null);
  assert.equal(spawner.last.resumed, 1);
});

test('a respawn that becomes ready after a stop began is drained, not promoted', async (t) => {
  const spawner = new FakeSpawner();
  const { supervisor, clock } = rig(t, {}, spawner);
  await supervisor.start();
  spawner.next.push({}); // the respawn boots slowly
  spawner.last.crash();
  await settle();
  await clock.advance(0);
  const respawned = spawner.last;
  const drained = supervisor.drain(1_000);
  respawned.ready();
  await drained;
  await settle();
  assert.equal(respawned.drainedAs, 'stop');
  assert.equal(respawned.resumed, 0, 'a worker of a stopping gateway takes no work');
  assert.equal(respawned.connected, false);
  assert.equal(supervisor.worker, null);
});

test('a worker that does not exit after its drain deadline is killed', async (t) => {
  const spawner = new FakeSpawner();
  const { supervisor, clock } = rig(t, {}, spawner);
  await supervisor.start();
  const worker = spawner.last;
  // A wedged worker: it takes the drain message but never exits.
  worker.send = (message) => { worker.received.push(message); };
  const drained = supervisor.drain(1_000);
  await settle();
  assert.equal(worker.connected, true);
  await clock.advance(1_000 + 5_000);
  const outcome = await drained;
  assert.equal(outcome.killed, true);
  assert.equal(worker.connected, false);
});

test('past MAX_PENDING_CONNECTIONS held connections, new ones are closed instead of queued', async (t) => {
  const spawner = new FakeSpawner({});
  const { supervisor } = rig(t, {}, spawner);
  const started = supervisor.start();
  const held = Array.from({ length: MAX_PENDING_CONNECTIONS }, () => socket());
  for (const s of held) supervisor.forward(s);
  const extra = socket();
  supervisor.forward(extra);
  assert.equal(extra.destroyed, true);
  assert.ok(held.every((s) => !s.destroyed));
  spawner.last.ready();
  await started;
  await settle();
  assert.equal(spawner.last.connections.length, MAX_PENDING_CONNECTIONS);
});
