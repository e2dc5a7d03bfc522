// Budgets: one bucket per chat shared by sends and typing (typing dropped first), the group and
// bot limits on top, and a 429 freezing the chat. Driven by an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Budgets } from '../../src/channels/telegram/budget.js';
import { TELEGRAM_LIMITS } from '../../src/channels/telegram/config.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

test('a chat gets its burst, then one send a second', () => {
  const c = clock();
  const b = new Budgets({ ...TELEGRAM_LIMITS }, c);
  for (let i = 0; i < TELEGRAM_LIMITS.chatBurst; i += 1) assert.equal(b.reserve(7, 'send'), 0);
  const wait = b.reserve(7, 'send');
  assert.ok(typeof wait === 'number' && wait > 0 && wait <= 1000, `waits ${String(wait)}`);
  c.advance(wait as number);
  assert.equal(b.reserve(7, 'send'), 0);
  assert.equal(b.reserve(8, 'send'), 0, 'another chat has its own bucket');
});

test('typing never waits and is dropped before it eats the tokens a send needs', () => {
  const c = clock();
  const b = new Budgets({ ...TELEGRAM_LIMITS }, c);
  assert.equal(b.reserve(7, 'typing'), 0);
  assert.equal(b.reserve(7, 'typing'), 0);
  assert.equal(b.reserve(7, 'typing'), 'drop', 'the last token is kept for a send');
  assert.equal(b.reserve(7, 'send'), 0);
  assert.notEqual(b.reserve(7, 'send'), 0);
});

test('a group is held to 20 a minute, the bot to 30 a second', () => {
  const c = clock();
  const b = new Budgets({ ...TELEGRAM_LIMITS, chatBurst: 100, perChatPerS: 100 }, c);
  let sent = 0;
  for (let i = 0; i < 60_000; i += 100) {
    if (b.reserve(-100, 'send') === 0) sent += 1;
    c.advance(100);
  }
  assert.ok(sent <= 20, `group sent ${sent} in a minute`);
  assert.ok(sent >= 19, `group sent only ${sent} in a minute`);
  const bot = new Budgets({ ...TELEGRAM_LIMITS, chatBurst: 100, perChatPerS: 100 }, clock());
  const c2 = clock();
  const paced = new Budgets({ ...TELEGRAM_LIMITS, chatBurst: 100, perChatPerS: 100 }, c2);
  let inSecond = 0;
  for (let i = 0; i < 1000; i += 10) {
    for (let chat = 1; chat <= 100; chat += 1) if (paced.reserve(chat, 'send') === 0) inSecond += 1;
    c2.advance(10);
  }
  assert.ok(inSecond <= TELEGRAM_LIMITS.perBotPerS, `the bot sent ${inSecond} in one second`);
  assert.ok(inSecond >= TELEGRAM_LIMITS.perBotPerS - 2, `the bot sent only ${inSecond} in one second`);
  void bot;
});

test('a 429 freezes the chat for retry_after; typing is dropped meanwhile', () => {
  const c = clock();
  const b = new Budgets({ ...TELEGRAM_LIMITS }, c);
  b.freeze(7, 5_000);
  assert.equal(b.reserve(7, 'send'), 5_000);
  assert.equal(b.reserve(7, 'typing'), 'drop');
  c.advance(5_000);
  assert.equal(b.reserve(7, 'send'), 0);
});
