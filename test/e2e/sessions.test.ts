// Sessions are never lost: a message is durable before its 202; a stop that cannot finish marks it
// resume_pending; the next boot answers each open message exactly once, after a clean stop, a
// SIGKILL of the worker, or a SIGKILL of the whole gateway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestHome, eventually, isAlive, workerPid } from './harness.js';
import { platform } from '../../src/platform/index.js';
import { killProcessTree } from '../../src/runtime/process-tree.js';

/** Far longer than a send and a stop take on a loaded machine; the stop's 0.3 s deadline cuts it anyway. */
const SLOW_MS = 15_000;

function repliesTo(home: TestHome, messageId: string): number {
  return home.messages().filter((m) => m.reply_to === messageId).length;
}

async function everyMessageAnsweredOnce(home: TestHome, ids: readonly string[]): Promise<void> {
  await eventually('every message to be answered', () => ids.every((id) => repliesTo(home, id) >= 1), 30_000);
  for (const id of ids) assert.equal(repliesTo(home, id), 1, `exactly one reply to ${id}`);
  for (const m of home.messages().filter((m) => ids.includes(m.id))) assert.equal(m.status, 'done');
}

test('a stop shorter than the work marks it resume_pending; the next start answers each message once', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'echo', delayMs: SLOW_MS } });
  await home.start();
  const api = home.api();
  const ids = [await api.send('alpha', 'one'), await api.send('alpha', 'two'), await api.send('beta', 'three')];
  // Durable before the 202: every message is already in the database.
  assert.deepEqual(home.messages().filter((m) => m.role === 'user').map((m) => m.id).sort(), [...ids].sort());

  const stop = await home.cli(['stop', '--timeout', '0.3']);
  assert.equal(stop.code, 0, stop.stderr);
  const stored = home.messages();
  assert.deepEqual(stored.filter((m) => m.role === 'assistant'), [], 'nothing was answered before the deadline');
  for (const id of ids) assert.equal(stored.find((m) => m.id === id)?.status, 'resume_pending');
  const drainEnd = home.lifecycle().find((e) => e.event === 'drain_end');
  assert.equal(drainEnd?.resumePending, 3);

  home.writeConfig({ agent: { kind: 'echo', delayMs: 10 } });
  await home.start();
  await everyMessageAnsweredOnce(home, ids);
  const session = await home.api().session('alpha');
  assert.equal(session.resumePending, false);
  assert.deepEqual(session.messages.filter((m) => m.role === 'assistant').map((m) => m.text), ['echo: one', 'echo: two']);
  // A second restart must not answer anything again.
  assert.equal((await home.cli(['stop'])).code, 0);
  await home.start();
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const id of ids) assert.equal(repliesTo(home, id), 1);
});

test('a stop with enough time lets in-flight work finish: nothing is left pending', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'echo', delayMs: 500 } });
  await home.start();
  const id = await home.api().send('s', 'finish me');
  const stop = await home.cli(['stop', '--timeout', '20']);
  assert.equal(stop.code, 0);
  assert.equal(repliesTo(home, id), 1);
  assert.equal(home.lifecycle().find((e) => e.event === 'drain_end')?.resumePending, 0);
});

test('SIGKILL of the worker mid-message: the monitor respawns it and the message is answered once', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'echo', delayMs: 1_500 } });
  const monitor = await home.start();
  const worker = workerPid(home);
  const id = await home.api().send('crashy', 'survive this');
  await eventually('the message to be processing', () => home.messages().find((m) => m.id === id)?.status === 'processing');
  process.kill(worker, 'SIGKILL');
  await eventually('a new worker', () => { try { return workerPid(home) !== worker; } catch { return false; } });
  assert.ok(isAlive(monitor), 'the monitor stayed up');
  await everyMessageAnsweredOnce(home, [id]);
  const exits = home.lifecycle().filter((e) => e.event === 'worker_exit');
  assert.equal(exits.at(-1)?.signal, 'SIGKILL');
});

test('SIGKILL of the whole gateway mid-message: the next start reports the unclean exit and answers once', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'echo', delayMs: 1_500 } });
  const monitor = await home.start();
  const id = await home.api().send('crashy', 'and this');
  await eventually('the message to be processing', () => home.messages().find((m) => m.id === id)?.status === 'processing');
  const worker = workerPid(home);
  killProcessTree({ pid: monitor, startTime: platform.processStartTime(monitor)! }, 'SIGKILL');
  // Both: a SIGKILLed worker still exiting on a loaded machine has the gateway's command line, and
  // status rightly calls a live process of the profile's command line wedged, not crashed.
  await eventually('the gateway to die', () => !isAlive(monitor) && !isAlive(worker));
  const status = await home.cli(['status', '--json']);
  assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'crashed', status.stdout);
  await home.start();
  await everyMessageAnsweredOnce(home, [id]);
  assert.equal(home.lifecycle().filter((e) => e.event === 'previous_exit_unclean').length, 1);
});
