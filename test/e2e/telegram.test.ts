// The Telegram channel end to end: real gateway processes against the stateful fake Bot API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from './harness.js';
import { outbox, telegramGateway, updates } from './telegram-harness.js';

test('chat messages are answered once each, in order per chat, chats side by side; unknown senders are recorded, not answered', async (t) => {
  const { home, fake } = await telegramGateway(t);
  await home.start();
  for (let i = 0; i < 5; i += 1) {
    fake.userSays(111, `a${i}`);
    fake.userSays(222, `b${i}`);
  }
  fake.userSays(999, 'who am I');
  await eventually('ten replies', () => fake.sent.length >= 10, 30_000);
  await eventually('offset confirmed', () => fake.unconfirmed === 0);
  assert.deepEqual(fake.sentTo(111).map((m) => m.text), [0, 1, 2, 3, 4].map((i) => `echo: a${i}`));
  assert.deepEqual(fake.sentTo(222).map((m) => m.text), [0, 1, 2, 3, 4].map((i) => `echo: b${i}`));
  assert.equal(fake.sentTo(999).length, 0);
  const unknown = updates(home).filter((u) => u.outcome === 'unknown_sender');
  assert.equal(unknown.length, 1);
  assert.match(unknown[0]!.detail ?? '', /chat 999/);
  // The fake has the last part before the gateway has its answer and marks it sent: wait for that.
  await eventually('every part marked sent', () => outbox(home).length === 10 && outbox(home).every((p) => p.status === 'sent'));
  const sessions = new Set(home.messages().map((m) => m.session_id));
  assert.deepEqual([...sessions].sort(), ['tg:123456789:111', 'tg:123456789:222']);
});
