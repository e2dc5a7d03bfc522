// What the dispatcher tells the agent about the conversation (history from the store, `/new`),
// the bound on calls in flight, and the events a channel follows.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { Dispatcher, NEW_CONTEXT_REPLY, isNewContextCommand, type DispatchEvent } from '../../src/gateway/dispatcher.js';
import { SessionStore } from '../../src/gateway/store.js';
import { ControlledAgent, fakeLogger } from './controlled-agent.js';
import { tempDir, waitFor } from './helpers.js';

function setup(t: TestContext, agent = new ControlledAgent(), dir = tempDir(t)) {
  const { store } = SessionStore.open(join(dir, 'sessions.db'));
  t.after(() => store.close());
  const dispatcher = new Dispatcher(store, agent, fakeLogger().log);
  const events: DispatchEvent[] = [];
  dispatcher.subscribe((e) => events.push(e));
  return { store, agent, dispatcher, events, dir };
}

/** Send a message and let the agent answer it `re: <text>`. */
async function turn(d: ReturnType<typeof setup>, session: string, text: string): Promise<string> {
  const m = d.dispatcher.accept(session, text)!;
  await waitFor(`${text} at the agent`, () => d.agent.calls.some((c) => c.text === text));
  d.agent.answer(text);
  await waitFor(`${text} done`, () => d.store.get(m.id)?.status === 'done');
  return m.id;
}

test('the agent gets the earlier answered turns of its session, oldest first, without failed ones', async (t) => {
  const d = setup(t);
  await turn(d, 's', 'one');
  const bad = d.dispatcher.accept('s', 'bad')!;
  await waitFor('bad at the agent', () => d.agent.calls.length === 2);
  d.agent.call('bad').resolve({ ok: false, text: '', error: 'no' });
  await waitFor('bad failed', () => d.store.get(bad.id)?.status === 'failed');
  await turn(d, 'other', 'elsewhere');
  await turn(d, 's', 'two');
  assert.deepEqual(d.agent.call('one').request.history, []);
  assert.deepEqual(d.agent.call('two').request.history, [{ role: 'user', text: 'one' }, { role: 'assistant', text: 're: one' }]);
  assert.equal(d.agent.call('two').request.sessionId, 's');
});

test('a message queued behind an unanswered one gets that turn once it is answered', async (t) => {
  const d = setup(t);
  const a = d.dispatcher.accept('s', 'a')!;
  d.dispatcher.accept('s', 'b');
  await waitFor('a at the agent', () => d.agent.calls.length === 1);
  d.agent.answer('a');
  await waitFor('b at the agent', () => d.agent.calls.length === 2);
  assert.equal(d.store.get(a.id)?.status, 'done');
  assert.deepEqual(d.agent.call('b').request.history.map((m) => m.text), ['a', 're: a']);
});

test('history is cut to the agent\'s maxHistoryTurns, keeping the latest', async (t) => {
  const d = setup(t, new ControlledAgent(true, 2));
  for (const text of ['1', '2', '3']) await turn(d, 's', text);
  await turn(d, 's', '4');
  assert.deepEqual(d.agent.call('4').request.history.map((m) => m.text), ['2', 're: 2', '3', 're: 3']);
  const none = setup(t, new ControlledAgent(true, 0));
  await turn(none, 's', 'x');
  await turn(none, 's', 'y');
  assert.deepEqual(none.agent.call('y').request.history, []);
});

test('/new starts a fresh context, answers with a confirmation and deletes nothing', async (t) => {
  const d = setup(t);
  await turn(d, 's', 'before');
  const reset = d.dispatcher.accept('s', ' /new ')!;
  await waitFor('/new done', () => d.store.get(reset.id)?.status === 'done');
  assert.equal(d.agent.calls.some((c) => c.text.includes('/new')), false, 'the agent is not asked');
  await turn(d, 's', 'after');
  await turn(d, 's', 'later');
  assert.deepEqual(d.agent.call('after').request.history, []);
  assert.deepEqual(d.agent.call('later').request.history.map((m) => m.text), ['after', 're: after']);
  const session = d.store.session('s');
  assert.deepEqual(session.map((m) => m.text), ['before', 're: before', ' /new ', NEW_CONTEXT_REPLY, 'after', 're: after', 'later', 're: later']);
  assert.equal(session.find((m) => m.replyTo === reset.id)?.text, NEW_CONTEXT_REPLY);
  assert.ok(d.events.some((e) => e.type === 'settled' && e.messageId === reset.id && e.status === 'done' && e.reply === NEW_CONTEXT_REPLY));
});

test('/new applies in order: a message sent before it still gets the old context', async (t) => {
  const d = setup(t);
  await turn(d, 's', 'old');
  d.dispatcher.accept('s', 'first');
  d.dispatcher.accept('s', '/new');
  d.dispatcher.accept('s', 'second');
  await waitFor('first at the agent', () => d.agent.calls.length === 2);
  d.agent.answer('first');
  await waitFor('second at the agent', () => d.agent.calls.length === 3);
  assert.deepEqual(d.agent.call('first').request.history.map((m) => m.text), ['old', 're: old']);
  assert.deepEqual(d.agent.call('second').request.history, []);
  d.agent.answer('second');
});

test('/new in another session leaves this one\'s context alone; only the exact command counts', async (t) => {
  const d = setup(t);
  await turn(d, 's', 'keep');
  const other = d.dispatcher.accept('t', '/new')!;
  await waitFor('/new in t done', () => d.store.get(other.id)?.status === 'done');
  await turn(d, 's', 'please do /new things');
  assert.deepEqual(d.agent.call('please do /new things').request.history.map((m) => m.text), ['keep', 're: keep']);
  assert.deepEqual(['/new', '/new@gate_bot', '\n/new\n', '/new x', '/newer', 'new', '/ new'].map(isNewContextCommand), [true, true, true, false, false, false, false]);
});

test('a /new interrupted before it ran is done once after a resume', async (t) => {
  const dir = tempDir(t);
  const previous = SessionStore.open(join(dir, 'sessions.db')).store;
  const reset = previous.addUserMessage('s', '/new');
  previous.setStatus(reset.id, 'processing');
  previous.close();
  const d = setup(t, new ControlledAgent(), dir);
  assert.deepEqual(d.dispatcher.resumeOpen(), { resumed: 1, failed: 0 });
  await waitFor('/new done', () => d.store.get(reset.id)?.status === 'done');
  assert.equal(d.store.startContext(reset.id, 'again'), false, 'a closed /new is not applied twice');
  assert.equal(d.store.session('s').filter((m) => m.replyTo === reset.id).length, 1);
});

test('concurrency bounds the calls in flight; the rest wait queued, first come first served', async (t) => {
  const d = setup(t, new ControlledAgent(true, 10, 1));
  const a = d.dispatcher.accept('s1', 'a')!;
  const b = d.dispatcher.accept('s2', 'b')!;
  const c = d.dispatcher.accept('s3', 'c')!;
  await waitFor('a at the agent', () => d.agent.calls.length === 1);
  for (let i = 0; i < 10; i += 1) await tick();
  assert.equal(d.agent.calls.length, 1, 'b and c wait for the slot');
  assert.deepEqual([a, b, c].map((m) => d.store.get(m.id)?.status), ['processing', 'queued', 'queued']);
  d.agent.answer('a');
  await waitFor('b at the agent', () => d.agent.calls.length === 2);
  assert.equal(d.agent.calls[1]?.text, 'b');
  d.agent.answer('b');
  await waitFor('c at the agent', () => d.agent.calls.length === 3);
  d.agent.answer('c');
  await waitFor('c done', () => d.store.get(c.id)?.status === 'done');
});

test('a message waiting for a slot at the drain deadline stays resume_pending and never reaches the agent', async (t) => {
  const d = setup(t, new ControlledAgent(true, 10, 1));
  d.dispatcher.accept('s1', 'a');
  const waiting = d.dispatcher.accept('s2', 'b')!;
  await waitFor('a at the agent', () => d.agent.calls.length === 1);
  assert.deepEqual(await d.dispatcher.drain(50), { completed: 0, resumePending: 2, timedOut: true });
  for (let i = 0; i < 10; i += 1) await tick();
  assert.equal(d.store.get(waiting.id)?.status, 'resume_pending');
  assert.equal(d.agent.calls.length, 1);
});

test('events: working when the agent starts and on its activity, settled with the reply or the error', async (t) => {
  const d = setup(t);
  const ok = d.dispatcher.accept('s', 'ok')!;
  await waitFor('ok at the agent', () => d.agent.calls.length === 1);
  d.agent.call('ok').request.onActivity();
  d.agent.call('ok').request.onActivity();
  d.agent.answer('ok');
  const bad = d.dispatcher.accept('s', 'bad')!;
  await waitFor('bad at the agent', () => d.agent.calls.length === 2);
  d.agent.call('bad').resolve({ ok: false, text: '', error: 'the model is gone' });
  await waitFor('bad failed', () => d.store.get(bad.id)?.status === 'failed');
  const of = (id: string) => d.events.filter((e) => e.messageId === id);
  assert.deepEqual(of(ok.id).map((e) => e.type), ['working', 'working', 'working', 'settled']);
  assert.deepEqual(of(ok.id).at(-1), { type: 'settled', sessionId: 's', messageId: ok.id, status: 'done', reply: 're: ok' });
  assert.deepEqual(of(bad.id).at(-1), { type: 'settled', sessionId: 's', messageId: bad.id, status: 'failed', error: 'the model is gone' });
});

test('a listener that throws does not fail the message', async (t) => {
  const d = setup(t);
  d.dispatcher.subscribe(() => { throw new Error('channel bug'); });
  const id = await turn(d, 's', 'fine');
  assert.equal(d.store.get(id)?.status, 'done');
});
