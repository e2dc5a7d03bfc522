// The Bot API client against the fake: what it reports for each kind of failure (the outbox's
// unknown-outcome policy rests on "unsent" versus "unknown"), and that no error carries the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { BotApi } from '../../src/channels/telegram/bot-api.js';
import { redact, redactedError } from '../../src/channels/telegram/redact.js';
import { FakeTelegram } from './fake-telegram.js';

const TOKEN = '4242424242:AAUnitTestTokenUnitTestToken_0123456';
const SECRET = TOKEN.split(':')[1]!;

async function fake(t: { after: (f: () => Promise<void>) => void }): Promise<FakeTelegram> {
  const f = new FakeTelegram({ token: TOKEN });
  await f.start();
  t.after(() => f.close());
  return f;
}

test('ok, and Telegram saying no (401, 400 with its description, 429 with retry_after)', async (t) => {
  const f = await fake(t);
  const api = new BotApi(f.url, TOKEN);
  t.after(() => api.close());
  const me = await api.call<{ username: string }>('getMe', {});
  assert.equal(me.kind, 'ok');
  assert.equal(me.kind === 'ok' && me.result.username, 'fake_bot');
  const wrong = new BotApi(f.url, '4242424242:AAWrongWrongWrongWrongWrongWrong_x');
  t.after(() => wrong.close());
  const denied = await wrong.call('getMe', {});
  assert.deepEqual(denied.kind === 'refused' && [denied.status, denied.description], [401, 'getMe: 401 Unauthorized']);
  const unknownChat = await api.call('sendMessage', { chat_id: 5, text: 'hi' });
  assert.ok(unknownChat.kind === 'refused' && unknownChat.status === 400 && /chat not found/.test(unknownChat.description));
  f.inject('sendMessage', { kind: 'status', status: 429, description: 'Too Many Requests: retry after 7', retryAfter: 7 });
  f.knownChats.add(5);
  const slow = await api.call('sendMessage', { chat_id: 5, text: 'hi' });
  assert.ok(slow.kind === 'refused' && slow.retryAfterS === 7);
});

test('a request written and then cut is `unknown`; one that never got out is `unsent`', async (t) => {
  const f = await fake(t);
  f.knownChats.add(5);
  const api = new BotApi(f.url, TOKEN);
  t.after(() => api.close());
  f.inject('sendMessage', { kind: 'drop-after' });
  const acted = await api.call('sendMessage', { chat_id: 5, text: 'delivered, then cut' });
  assert.equal(acted.kind, 'unknown');
  assert.equal(f.sent.length, 1, 'the fake did deliver it');
  f.inject('sendMessage', { kind: 'drop-before' });
  assert.equal((await api.call('sendMessage', { chat_id: 5, text: 'cut before' })).kind, 'unknown');
  f.inject('sendMessage', { kind: 'hold' });
  const timedOut = await api.call('sendMessage', { chat_id: 5, text: 'no answer' }, { timeoutMs: 300 });
  assert.equal(timedOut.kind, 'unknown');
  // A port nobody listens on: the connection is refused before a byte is written.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const closed = new BotApi(`http://127.0.0.1:${port}`, TOKEN);
  const refused = await closed.call('sendMessage', { chat_id: 5, text: 'x' });
  closed.close();
  assert.equal(refused.kind, 'unsent');
  for (const outcome of [acted, timedOut, refused]) assert.ok(!JSON.stringify(outcome).includes(SECRET), 'the token leaked');
});

test('an abort before the request is written makes it `unsent`', async (t) => {
  const f = await fake(t);
  const api = new BotApi(f.url, TOKEN);
  t.after(() => api.close());
  const aborted = await api.call('getUpdates', { timeout: 5 }, { signal: AbortSignal.abort() });
  assert.equal(aborted.kind, 'unsent');
});

test('redact removes the token from URLs, bare tokens and stack traces', () => {
  assert.equal(redact(`GET https://api.telegram.org/bot${TOKEN}/getMe failed`), 'GET https://api.telegram.org/bot<redacted>/getMe failed');
  assert.ok(!redact(`token ${TOKEN} here`).includes(SECRET));
  assert.ok(!redact(`short secret x${SECRET.slice(0, 12)}`, SECRET.slice(0, 12)).includes(SECRET.slice(0, 12)));
  const error = new Error(`request to http://h/bot${TOKEN}/sendMessage failed, reason: ECONNRESET`);
  const clean = redactedError(error, TOKEN);
  assert.ok(!clean.message.includes(SECRET) && !(clean.stack ?? '').includes(SECRET));
  assert.match(clean.message, /bot<redacted>\/sendMessage/);
});
