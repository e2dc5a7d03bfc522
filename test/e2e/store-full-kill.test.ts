// An answer held in the worker because the disk is full (README: "keeps its answer in the worker and
// stores it once the store takes writes again") meets the end of that worker: a SIGKILL of the
// worker, a SIGKILL of the whole gateway, a graceful stop. The held answer dies with its worker, so
// the agent is asked once more by the next life (acceptable: a model call has no side effects), but
// the message is answered exactly once: one reply row, its reply_to the message, nothing left open.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestHome, eventually, isAlive, workerPid } from './harness.js';
import { needsTmpfs, smallDisk, type SmallDisk } from './small-disk.js';

// Counts every call (a line in a file on the normal disk), then answers once a gate file exists, so
// the disk can be filled while the agent has the message. Once the gate exists it answers at once.
const COUNTING_GATED_AGENT = `const { appendFileSync, existsSync } = require('node:fs');
const [calls, gate] = process.argv.slice(2);
appendFileSync(calls, 'call\\n');
let text = '';
process.stdin.on('data', (c) => { text += c; });
process.stdin.on('end', () => {
  const wait = () => (existsSync(gate) ? process.stdout.write('echo: ' + text) : setTimeout(wait, 20));
  wait();
});
`;

const HELD = 'the answer could not be stored';
const TEXT = 'y'.repeat(95_000); // its echo needs pages a full disk cannot give

interface Held {
  readonly home: TestHome;
  readonly disk: SmallDisk;
  readonly monitor: number;
  readonly worker: number;
  readonly messageId: string;
  /** How many times the agent was asked. */
  calls(): number;
}

/** The gateway's log lines (JSON) written by one process. */
function logLines(home: TestHome, pid: number): string[] {
  if (!existsSync(home.paths().gatewayLog)) return [];
  return readFileSync(home.paths().gatewayLog, 'utf8').split('\n').filter((l) => l.includes(`"pid":${pid},`));
}

/** A gateway whose worker holds an answer it cannot store: the message accepted, the disk then full. */
async function heldAnswer(t: TestContext, drainTimeoutMs = 30_000): Promise<Held | null> {
  const home = new TestHome();
  const agent = join(home.home, 'counting-agent.cjs');
  const callsFile = join(home.home, 'calls');
  writeFileSync(agent, COUNTING_GATED_AGENT);
  home.writeConfig({
    agent: { kind: 'command', command: process.execPath, args: [agent, callsFile, join(home.home, 'gate')] },
    drain: { timeoutMs: drainTimeoutMs },
  });
  const disk = await smallDisk(t, home);
  if (disk === null) return null;
  const monitor = await home.start();
  disk.watch(monitor);
  const worker = workerPid(home);
  disk.watch(worker);
  const calls = (): number => (existsSync(callsFile) ? readFileSync(callsFile, 'utf8').split('\n').length - 1 : 0);
  const posted = await fetch(`${home.apiUrl()}/v1/sessions/s1/messages`, {
    method: 'POST', headers: { authorization: `Bearer ${home.token()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: TEXT }), signal: AbortSignal.timeout(30_000),
  });
  assert.equal(posted.status, 202);
  const { messageId } = (await posted.json()) as { messageId: string };
  await eventually('the agent to have it', () => calls() === 1 && home.messages().find((m) => m.id === messageId)?.status === 'processing');
  disk.fill();
  writeFileSync(join(home.home, 'gate'), '');
  await eventually('the reply commit to meet the full disk', () => logLines(home, worker).some((l) => l.includes(HELD)), 30_000);
  assert.ok(isAlive(worker), 'the worker holds the answer');
  assert.equal(home.messages().find((m) => m.id === messageId)?.status, 'processing', 'open, not failed');
  assert.equal(home.messages().filter((m) => m.role === 'assistant').length, 0, 'nothing stored yet');
  return { home, disk, monitor, worker, messageId, calls };
}

/** One reply row for the message, the message done, nothing else open or failed. */
async function answeredOnce(held: Held): Promise<void> {
  const { home, messageId } = held;
  await eventually('the reply to be stored', () => home.messages().some((m) => m.role === 'assistant'), 60_000);
  const messages = home.messages();
  const replies = messages.filter((m) => m.role === 'assistant');
  assert.deepEqual(replies.map((m) => [m.reply_to, m.text]), [[messageId, `echo: ${TEXT}`]], 'exactly one reply, to that message');
  assert.deepEqual(messages.filter((m) => m.role === 'user').map((m) => [m.id, m.status]), [[messageId, 'done']]);
}

test('a full disk holding an answer, then SIGKILL of the worker: the next worker answers it exactly once once space is freed', needsTmpfs, async (t) => {
  const held = await heldAnswer(t);
  if (held === null) return;
  const { home, disk, worker } = held;
  process.kill(worker, 'SIGKILL'); // the held answer dies with it
  const next = await eventually('a new worker', () => { const pid = workerPid(home); return pid !== worker ? pid : null; });
  disk.watch(next);
  // The disk is still full when the new worker resumes: the store refuses even the resume mark.
  await eventually('the new worker to meet the full disk', () => logLines(home, next).some((l) => l.includes('store_full')), 30_000);
  assert.equal(home.messages().find((m) => m.id === held.messageId)?.status, 'processing', 'open, not failed');
  disk.free();
  await answeredOnce(held);
  assert.equal(workerPid(home), next, 'the new worker stored it, with no further restart');
  assert.equal(held.calls(), 2, 'asked once per worker life that had it, no more');
});

test('a full disk holding an answer, then SIGKILL of the whole gateway and start again: answered exactly once once space is freed', needsTmpfs, async (t) => {
  const held = await heldAnswer(t);
  if (held === null) return;
  const { home, disk, monitor, worker } = held;
  process.kill(-monitor, 'SIGKILL'); // monitor and worker: one process group, no exit record, no drain
  await eventually('the gateway gone', () => !isAlive(monitor) && !isAlive(worker));
  const next = await home.start(); // the disk is still full
  disk.watch(next);
  const nextWorker = workerPid(home);
  disk.watch(nextWorker);
  await eventually('the new gateway to meet the full disk', () => logLines(home, nextWorker).some((l) => l.includes('store_full')), 30_000);
  assert.equal(home.messages().find((m) => m.id === held.messageId)?.status, 'processing', 'open, not failed');
  disk.free();
  await answeredOnce(held);
  assert.equal(held.calls(), 2, 'asked once per gateway life that had it, no more');
});

// The drain deadline ends the wait for room. The resume_pending mark is a write too, which the full
// disk refuses: the message is left open as it was (processing), which the next boot resumes just as
// it resumes resume_pending. Before, that refused mark escaped and killed the worker mid-stop.
test('a full disk holding an answer, then gatehouse stop: the message is left open, the drain reported, and it is answered exactly once after the next start', needsTmpfs, async (t) => {
  const held = await heldAnswer(t, 1_000);
  if (held === null) return;
  const { home, disk, worker } = held;
  const stopped = await home.cli(['stop']);
  assert.equal(stopped.code, 0, `${stopped.stdout}${stopped.stderr}`);
  const drained = home.lifecycle().filter((e) => e.event === 'drain_end');
  assert.deepEqual(drained.map((e) => [e.resumePending, e.completed]), [[1, 0]], 'the worker drained and said what it left, not died of the refused mark');
  assert.ok(!logLines(home, worker).some((l) => l.includes('"level":60')) && !readFileSync(home.paths().gatewayLog, 'utf8').includes('Error: database or disk is full'), 'no crash');
  assert.equal(home.messages().find((m) => m.id === held.messageId)?.status, 'processing', 'left open for the next boot');
  assert.equal(home.messages().filter((m) => m.role === 'assistant').length, 0);
  disk.free();
  const next = await home.start();
  disk.watch(next);
  disk.watch(workerPid(home));
  await answeredOnce(held);
  assert.equal(held.calls(), 2, 'asked again by the next boot only');
});
