// The dispatcher over a store that cannot take the reply (SQLite's max_page_count reached: SQLITE_FULL,
// as for a full disk): the answer is kept and its commit retried until the store takes it. The
// message is neither failed nor answered twice, and the agent is asked once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Dispatcher } from '../../src/gateway/dispatcher.js';
import { SessionStore } from '../../src/gateway/store.js';
import { ControlledAgent, fakeLogger } from './controlled-agent.js';
import { tempDir, waitFor } from './helpers.js';

test('a reply the store refuses (full) is kept and stored once there is room; the agent is not asked again', async (t) => {
  const { store } = SessionStore.open(join(tempDir(t), 'sessions.db'));
  t.after(() => store.close());
  const agent = new ControlledAgent();
  const { log, errors } = fakeLogger();
  const dispatcher = new Dispatcher(store, agent, log);
  const message = dispatcher.accept('s1', 'big answer please')!;
  await waitFor('the agent to have it', () => agent.calls.length === 1);
  const { page_count: pages } = store.database.prepare('PRAGMA page_count').get() as { page_count: number };
  store.database.exec(`PRAGMA max_page_count = ${pages}`);
  const reply = 'z'.repeat(200_000); // needs pages the database may not take
  agent.calls[0]!.resolve({ ok: true, text: reply, error: null });
  await waitFor('the refused commit to be logged', () => errors.length > 0);
  assert.match(JSON.stringify(errors[0]), /could not be stored/);
  assert.equal(store.get(message.id)?.status, 'processing', 'still open, not failed');
  assert.equal(dispatcher.inFlight, 1);
  store.database.exec('PRAGMA max_page_count = 1073741823');
  await waitFor('the reply to be stored', () => store.get(message.id)?.status === 'done');
  assert.deepEqual(store.session('s1').filter((m) => m.role === 'assistant').map((m) => m.text.length), [reply.length]);
  assert.equal(agent.calls.length, 1, 'asked once');
  assert.equal(dispatcher.inFlight, 0);
  assert.equal(errors.length, 1, 'said once, not at every retry');
});
