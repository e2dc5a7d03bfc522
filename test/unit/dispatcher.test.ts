// The dispatcher over a real store and a controllable in-process agent: ordering, parallelism,
// drain (in time and past the deadline) and resuming a previous life's open messages.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { Dispatcher, MAX_RESUME_ATTEMPTS } from '../../src/gateway/dispatcher.js';
import { SessionStore } from '../../src/gateway/store.js';
import { ControlledAgent, fakeLogger } from './controlled-agent.js';
import { tempDir, waitFor } from './helpers.js';

function setup(t: TestContext, agent = new ControlledAgent(), dir = tempDir(t)) {
  const { store } = SessionStore.open(join(dir, 'sessions.db'));
  t.after(() => store.close());
  const { log, errors } = fakeLogger();
  return { store, agent, errors, dispatcher: new Dispatcher(store, agent, log), dir };
}

/** Let queued promise chains run (bounded). */
async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await tick();
}

test('messages of one session go to the agent one at a time, in order', async (t) => {
  const { store, agent, dispatcher } = setup(t);
  const a = dispatcher.accept('s1', 'a')!;
  const b = dispatcher.accept('s1', 'b')!;
  assert.equal(a.status, 'queued');
  await waitFor('agent called with a', () => agent.calls.length === 1);
  await settle();
  assert.deepEqual(agent.calls.map((c) => c.text), ['a'], 'b waits for a');
  assert.equal(store.get(a.id)?.status, 'processing');
  assert.equal(store.get(b.id)?.status, 'queued');
  agent.answer('a');
  await waitFor('agent called with b', () => agent.calls.length === 2);
  assert.equal(store.get(a.id)?.status, 'done');
  agent.answer('b');
  await waitFor('b done', () => store.get(b.id)?.status === 'done');
  const replies = store.session('s1').filter((m) => m.role === 'assistant');
  assert.deepEqual(replies.map((m) => [m.replyTo, m.text]), [[a.id, 're: a'], [b.id, 're: b']]);
  assert.equal(dispatcher.inFlight, 0);
});

test('different sessions run in parallel', async (t) => {
  const { store, agent, dispatcher } = setup(t);
  const x = dispatcher.accept('s1', 'x')!;
  const y = dispatcher.accept('s2', 'y')!;
  await waitFor('both sessions at the agent', () => agent.calls.length === 2);
  assert.equal(dispatcher.inFlight, 2);
  agent.answer('y'); // the later one finishes first
  await waitFor('y done', () => store.get(y.id)?.status === 'done');
  assert.equal(store.get(x.id)?.status, 'processing');
  agent.answer('x');
  await waitFor('x done', () => store.get(x.id)?.status === 'done');
});

test('an agent failure or exception fails the message and the session goes on', async (t) => {
  const { store, agent, dispatcher, errors } = setup(t);
  const bad = dispatcher.accept('s', 'bad')!;
  const thrown = dispatcher.accept('s', 'throws')!;
  const good = dispatcher.accept('s', 'good')!;
  await waitFor('bad at the agent', () => agent.calls.length === 1);
  agent.call('bad').resolve({ ok: false, text: '', error: 'model refused' });
  await waitFor('throws at the agent', () => agent.calls.length === 2);
  agent.call('throws').reject(new Error('kaboom'));
  await waitFor('good at the agent', () => agent.calls.length === 3);
  agent.answer('good');
  await waitFor('good done', () => store.get(good.id)?.status === 'done');
  assert.deepEqual([store.get(bad.id)?.status, store.get(bad.id)?.error], ['failed', 'model refused']);
  assert.deepEqual([store.get(thrown.id)?.status, store.get(thrown.id)?.error], ['failed', 'kaboom']);
  assert.equal(errors.length, 1, 'the exception was logged');
});

test('drain waits for in-flight work, reports it completed, and refuses new messages', async (t) => {
  const { store, agent, dispatcher } = setup(t);
  const a = dispatcher.accept('s1', 'a')!;
  const b = dispatcher.accept('s1', 'b')!;
  const c = dispatcher.accept('s2', 'c')!;
  await waitFor('a and c at the agent', () => agent.calls.length === 2);
  let drained = false;
  const drain = dispatcher.drain(30_000).finally(() => { drained = true; });
  assert.equal(dispatcher.isAccepting, false);
  assert.equal(dispatcher.accept('s3', 'late'), null);
  assert.deepEqual(store.session('s3'), [], 'nothing stored for a refused message');
  agent.answer('a');
  agent.answer('c');
  await waitFor('b at the agent', () => agent.calls.length === 3);
  await settle();
  assert.equal(drained, false, 'still waiting for b');
  agent.answer('b');
  assert.deepEqual(await drain, { completed: 3, resumePending: 0, timedOut: false });
  assert.deepEqual([a, b, c].map((m) => store.get(m.id)?.status), ['done', 'done', 'done']);
  assert.equal(agent.calls.some((x) => x.signal.aborted), false);
});

test('drain with nothing in flight returns at once', async (t) => {
  const { dispatcher } = setup(t);
  assert.deepEqual(await dispatcher.drain(60_000), { completed: 0, resumePending: 0, timedOut: false });
});

test('a drain deadline marks the rest resume_pending, aborts the agent and stores no late reply', async (t) => {
  const agent = new ControlledAgent(false); // this agent ignores the abort and answers anyway
  const { store, dispatcher } = setup(t, agent);
  const fast = dispatcher.accept('s1', 'fast')!;
  const slow = dispatcher.accept('s2', 'slow')!;
  const behind = dispatcher.accept('s2', 'behind')!;
  await waitFor('fast and slow at the agent', () => agent.calls.length === 2);
  const drain = dispatcher.drain(100);
  agent.answer('fast');
  const result = await drain;
  assert.deepEqual(result, { completed: 1, resumePending: 2, timedOut: true });
  const signal = agent.call('slow').signal;
  assert.equal(signal.aborted, true);
  assert.match(String((signal.reason as Error).message), /drain deadline/);
  assert.deepEqual([fast, slow, behind].map((m) => store.get(m.id)?.status), ['done', 'resume_pending', 'resume_pending']);
  agent.answer('slow'); // the late answer must not be stored
  await settle(20);
  assert.equal(agent.calls.some((c) => c.text === 'behind'), false, 'queued work never started');
  assert.equal(store.get(slow.id)?.status, 'resume_pending');
  assert.deepEqual(store.session('s2').filter((m) => m.role === 'assistant'), []);
});

test('an agent that rejects on abort leaves its message resume_pending, not failed', async (t) => {
  const { store, agent, dispatcher, errors } = setup(t);
  const m = dispatcher.accept('s', 'long')!;
  await waitFor('at the agent', () => agent.calls.length === 1);
  assert.deepEqual(await dispatcher.drain(20), { completed: 0, resumePending: 1, timedOut: true });
  await settle(20);
  assert.deepEqual([store.get(m.id)?.status, store.get(m.id)?.error], ['resume_pending', null]);
  assert.equal(errors.length, 0);
});

test('resumeOpen resumes a previous life\'s open messages once, and fails one cut too often', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sessions.db');
  const previous = SessionStore.open(file).store;
  const queued = previous.addUserMessage('s1', 'queued');
  const processing = previous.addUserMessage('s1', 'processing');
  previous.startAttempt(processing.id); // cut once
  const pending = previous.addUserMessage('s2', 'pending');
  for (let i = 0; i < MAX_RESUME_ATTEMPTS - 1; i += 1) previous.startAttempt(pending.id); // one try left
  previous.markResumePending([pending.id]);
  const hopeless = previous.addUserMessage('s3', 'hopeless');
  for (let i = 0; i < MAX_RESUME_ATTEMPTS; i += 1) previous.startAttempt(hopeless.id); // none left
  // Resumed by many boots without ever starting: no attempt used.
  const waited = previous.addUserMessage('s5', 'waited');
  for (let i = 0; i < MAX_RESUME_ATTEMPTS + 2; i += 1) previous.markResumePending([waited.id]);
  const done = previous.addUserMessage('s4', 'done');
  previous.complete(done.id, 'old reply');
  previous.close();

  const { store, agent, dispatcher } = setup(t, new ControlledAgent(), dir);
  assert.deepEqual(dispatcher.resumeOpen(), { resumed: 4, failed: 1 });
  assert.deepEqual([store.get(hopeless.id)?.status, store.get(hopeless.id)?.error], ['failed', `gave up after ${MAX_RESUME_ATTEMPTS} interrupted attempts`]);
  await waitFor('s1, s2 and s5 at the agent', () => agent.calls.length === 3);
  assert.deepEqual(agent.calls.map((c) => c.text).sort(), ['pending', 'queued', 'waited']);
  // Counted as they start: the first attempt of each, one more for the one cut before.
  assert.deepEqual([queued, pending, waited].map((m) => store.get(m.id)?.resumeAttempts), [1, MAX_RESUME_ATTEMPTS, 1]);
  agent.answer('queued');
  await waitFor('processing at the agent', () => agent.calls.length === 4);
  assert.equal(store.get(processing.id)?.resumeAttempts, 2);
  agent.answer('processing');
  agent.answer('pending');
  agent.answer('waited');
  await waitFor('all done', () => store.openMessages().length === 0);
  for (const m of [queued, processing, pending, waited]) {
    assert.equal(store.get(m.id)?.status, 'done');
    assert.equal(store.session(m.sessionId).filter((x) => x.replyTo === m.id).length, 1);
  }
  assert.equal(agent.calls.some((c) => c.text === 'hopeless' || c.text === 'done'), false);
  assert.deepEqual(dispatcher.resumeOpen(), { resumed: 0, failed: 0 }, 'nothing is resumed twice');
  await settle();
  assert.equal(agent.calls.length, 4);
});

test('a restart drain (keepAccepting) takes new messages until it ends, then refuses them', async (t) => {
  const { store, agent, dispatcher } = setup(t);
  const a = dispatcher.accept('s1', 'a')!;
  await waitFor('a at the agent', () => agent.calls.length === 1);
  const drain = dispatcher.drain(30_000, true);
  assert.equal(dispatcher.isAccepting, true);
  const late = dispatcher.accept('s2', 'late');
  assert.ok(late !== null, 'accepted on a held connection');
  await waitFor('late at the agent', () => agent.calls.length === 2);
  agent.answer('a');
  await settle();
  agent.answer('late');
  const result = await drain;
  assert.equal(result.timedOut, false);
  assert.equal(result.resumePending, 0);
  assert.equal(dispatcher.isAccepting, false);
  assert.equal(dispatcher.accept('s3', 'after'), null);
  assert.deepEqual([store.get(a.id)?.status, store.get(late.id)?.status], ['done', 'done']);
});

test('a restart drain that times out reports the work it did complete', async (t) => {
  const { agent, dispatcher } = setup(t);
  dispatcher.accept('s1', 'a');
  await waitFor('a at the agent', () => agent.calls.length === 1);
  const drain = dispatcher.drain(100, true);
  dispatcher.accept('s2', 'late-1');
  dispatcher.accept('s3', 'late-2');
  agent.answer('a');
  const result = await drain;
  assert.deepEqual(result, { completed: 1, resumePending: 2, timedOut: true });
});

test('resumeOpen skips messages this dispatcher already holds', async (t) => {
  const { store, agent, dispatcher } = setup(t);
  const held = dispatcher.accept('s', 'held')!;
  await waitFor('held at the agent', () => agent.calls.length === 1);
  assert.deepEqual(dispatcher.resumeOpen(), { resumed: 0, failed: 0 });
  assert.equal(store.get(held.id)?.resumeAttempts, 1, "its one attempt, started by this dispatcher");
  assert.equal(store.get(held.id)?.status, 'processing');
  agent.answer('held');
  await waitFor('held done', () => store.get(held.id)?.status === 'done');
  await settle();
  assert.equal(agent.calls.length, 1, 'given to the agent once');
});
