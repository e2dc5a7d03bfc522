// The chat edge through every kind of restart: `gatehouse restart` (worker replacement; the new
// worker polls only after the old one stopped) and stop/start under a stream of chat messages;
// /restart and /status from a chat; a /restart delivered again after a crash does not loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, workerPid, type TestHome } from './harness.js';
import { outbox, telegramGateway, updates } from './telegram-harness.js';
import type { FakeTelegram } from '../channels/fake-telegram.js';

/** A self-hosted Bot API server has no Telegram limits: let the stream through quickly. */
const FAST = { limits: { perChatPerS: 200, chatBurst: 50, perGroupPerMin: 6000, perBotPerS: 1000 } };
const CHATS = [111, 222, 333];

/** Users write every `everyMs` until stopped; returns every text written. */
function stream(fake: FakeTelegram, everyMs: number): { stop: () => string[] } {
  const written: string[] = [];
  let i = 0;
  const timer = setInterval(() => {
    const chat = CHATS[i % CHATS.length]!;
    const text = `s${i}`;
    fake.userSays(chat, text);
    written.push(`${chat}|echo: ${text}`);
    i += 1;
  }, everyMs);
  return { stop: () => { clearInterval(timer); return written; } };
}

async function assertEachOnce(home: TestHome, fake: FakeTelegram, written: readonly string[]): Promise<void> {
  await eventually('every message answered', () => fake.sent.length >= written.length, 60_000);
  await eventually('the outbox settled', () => outbox(home).every((p) => p.status === 'sent'), 30_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const delivered = fake.sent.map((m) => `${m.chatId}|${m.text}`);
  const counts = new Map<string, number>();
  for (const d of delivered) counts.set(d, (counts.get(d) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'delivered more than once');
  assert.deepEqual([...counts.keys()].sort(), [...written].sort(), 'every message answered, nothing else sent');
  for (const chat of CHATS) {
    const order = fake.sentTo(chat).map((m) => Number(m.text.slice('echo: s'.length)));
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `chat ${chat} answered in order`);
  }
  assert.equal(outbox(home).filter((p) => p.possible_duplicate === 1).length, 0);
  assert.equal(fake.unconfirmed, 0);
}

test('gatehouse restart under a stream of chat messages: each answered exactly once, in order', async (t) => {
  const { home, fake } = await telegramGateway(t, FAST, { agent: { kind: 'echo', delayMs: 30 } }, { enforceLimits: false });
  await home.start();
  const users = stream(fake, 40);
  const workers = new Set([workerPid(home)]);
  for (let i = 0; i < 2; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 700));
    const restart = await home.cli(['restart']);
    assert.equal(restart.code, 0, restart.stderr);
    workers.add(workerPid(home));
  }
  await new Promise((resolve) => setTimeout(resolve, 700));
  const written = users.stop();
  assert.equal(workers.size, 3);
  await assertEachOnce(home, fake, written);
});

test('stop and start under a stream of chat messages: what arrived while stopped is answered after, each once', async (t) => {
  const { home, fake } = await telegramGateway(t, FAST, { agent: { kind: 'echo', delayMs: 30 } }, { enforceLimits: false });
  await home.start();
  const users = stream(fake, 40);
  await new Promise((resolve) => setTimeout(resolve, 800));
  const stop = await home.cli(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await home.start();
  await new Promise((resolve) => setTimeout(resolve, 800));
  const written = users.stop();
  await assertEachOnce(home, fake, written);
});

test('/restart from an admin chat replaces the worker and the confirmation arrives; /status answers; others may not restart', async (t) => {
  const { home, fake } = await telegramGateway(t);
  await home.start();
  const before = workerPid(home);
  fake.userSays(222, '/restart');
  fake.userSays(111, '/restart@fake_bot');
  await eventually('confirmation', () => fake.sentTo(111).some((m) => m.text.startsWith('The gateway is back')), 60_000);
  assert.notEqual(workerPid(home), before);
  assert.match(fake.sentTo(222)[0]!.text, /Only admin chats may \/restart/);
  const to111 = fake.sentTo(111).map((m) => m.text);
  assert.equal(to111.length, 2, to111.join(' | '));
  assert.match(to111[0]!, /^Restarting the gateway/);
  assert.match(to111[1]!, new RegExp(`replaced pid ${before}`));
  fake.userSays(111, '/status');
  await eventually('status reply', () => fake.sentTo(111).length === 3, 30_000);
  assert.match(fake.sentTo(111)[2]!.text, /Gatehouse is running[\s\S]*telegram @fake_bot: polling/);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.equal(home.lifecycle().filter((e) => e.event === 'worker_replaced').length, 1, 'one restart');
});

test('a /restart redelivered after a crash (committed, not yet confirmed to Telegram) is not run again', async (t) => {
  const { home, fake } = await telegramGateway(t);
  const marker = join(home.home, 'fault-after-commit');
  const started = await home.cli(['start'], { env: { GATEHOUSE_TEST_FAULT: `after-commit:worker:${marker}` } });
  assert.equal(started.code, 0, started.stderr);
  fake.userSays(111, '/restart');
  await eventually('the fault fired', () => existsSync(marker), 30_000);
  await eventually('confirmation', () => fake.sentTo(111).some((m) => m.text.startsWith('The gateway is back')), 60_000);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const texts = fake.sentTo(111).map((m) => m.text);
  assert.equal(texts.filter((x) => x.startsWith('Restarting')).length, 1, texts.join(' | '));
  assert.equal(texts.filter((x) => x.startsWith('The gateway is back')).length, 1, texts.join(' | '));
  assert.equal(updates(home).filter((u) => u.outcome === 'command').length, 1);
  assert.ok(fake.offsets.length >= 2 && fake.unconfirmed === 0, 'the redelivered update was confirmed without a second run');
  const starts = home.lifecycle().filter((e) => e.event === 'worker_start').length;
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  assert.equal(home.lifecycle().filter((e) => e.event === 'worker_start').length, starts, 'no restart loop');
});
