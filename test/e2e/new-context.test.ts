// POST /v1/sessions/{id}/new through a real gateway: the API form of the chat command /new.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NEW_CONTEXT_REPLY } from '../../src/gateway/dispatcher.js';
import { TestHome } from './harness.js';

test('POST /v1/sessions/{id}/new answers 202 with a message id whose reply confirms the fresh context', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'echo', delayMs: 0 } });
  await home.start();
  const api = home.api();
  const first = await api.send('chat', 'hello');
  assert.equal((await api.waitForReply('chat', first, 10_000))?.text, 'echo: hello');
  const reset = await api.newContext('chat');
  assert.equal((await api.waitForReply('chat', reset, 10_000))?.text, NEW_CONTEXT_REPLY);
  const session = await api.session('chat');
  assert.deepEqual(session.messages.map((m) => m.text), ['hello', 'echo: hello', '/new', NEW_CONTEXT_REPLY], 'nothing deleted');
  const wrongMethod = await fetch(`${home.apiUrl()}/v1/sessions/chat/new`, { headers: { authorization: `Bearer ${home.token()}` } });
  assert.equal(wrongMethod.status, 405);
  const noToken = await fetch(`${home.apiUrl()}/v1/sessions/chat/new`, { method: 'POST' });
  assert.equal(noToken.status, 401);
});
