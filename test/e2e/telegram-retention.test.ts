// The update ledger does not grow with every chat message: answered rows more than keepUpdates ids
// below the offset Telegram confirmed are removed as the gateway polls, status totals still count
// every update, and an update the ledger holds, handed out again, is not answered twice. (An id below
// the offset whose row is gone is, by Telegram's rules, the start of a new sequence of ids:
// telegram-sequence.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from './harness.js';
import { deliveredCounts, outbox, readTable, telegramGateway, updates } from './telegram-harness.js';

const KEEP = 5;
const ROUNDS = 6;
const PER_ROUND = 12;
const CHATS = [111, 222, 333];
/** Fast enough that the rounds are not paced by Telegram's per-chat rate (the fake enforces none here). */
const UNLIMITED = { perChatPerS: 1_000, chatBurst: 1_000, perGroupPerMin: 60_000, perBotPerS: 1_000 };

const userMessages = (home: Parameters<typeof updates>[0]): number => home.messages().filter((m) => m.role === 'user').length;

test('the ledger keeps keepUpdates rows below the confirmed offset, status still counts every update, and a replayed update it holds is not answered again', async (t) => {
  const { home, fake } = await telegramGateway(t, { keepUpdates: KEEP, limits: UNLIMITED }, {}, { enforceLimits: false });
  await home.start();
  const sent: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < PER_ROUND; i++) sent.push(fake.userSays(CHATS[i % CHATS.length]!, `round ${round} message ${i}`));
    await eventually(`round ${round} answered`, () => fake.sent.length === sent.length, 60_000);
  }
  const total = ROUNDS * PER_ROUND;
  // Once all is answered and the next poll confirmed the last update, only the margin is left.
  await eventually('the ledger pruned to its margin', () => updates(home).length <= KEEP, 30_000);
  const kept = updates(home).map((u) => u.update_id);
  assert.deepEqual(kept, sent.slice(-kept.length), 'the newest rows are the ones kept');
  assert.equal(kept.length, KEEP, 'the margin is kept');
  const [floor] = readTable<{ below: number }>(home, 'SELECT below FROM telegram_ledger_floor');
  assert.ok(floor !== undefined && floor.below > sent[0]! && floor.below <= kept[0]!, 'the floor sits between the removed rows and the kept ones');

  const status = await eventually('status totals', async () => {
    const s = JSON.parse((await home.cli(['status', '--json'])).stdout) as { channels: Array<{ updates: { total: number; accepted: number }; outbox: { sent: number } }> };
    return s.channels[0]?.updates.total === total ? s.channels[0] : null;
  });
  assert.deepEqual([status.updates.total, status.updates.accepted, status.outbox.sent], [total, total, total], 'totals count the removed rows too');

  // Telegram never hands out a confirmed update again; the fake does, for an update the ledger holds.
  const old = kept[0]!;
  assert.ok(old < sent.at(-1)!);
  const messagesBefore = userMessages(home);
  fake.replay(old);
  await eventually('the replay handed out', () => fake.replaysHandedOut === 1, 30_000);
  // The poller asks again only after it committed (or skipped) everything of the last batch.
  await eventually('the batch with the replay processed', () => fake.offsets.length > fake.replayedAtPoll, 30_000);
  assert.equal(userMessages(home), messagesBefore, 'no second session message for the replayed update');
  assert.deepEqual(updates(home).map((u) => u.update_id), kept, 'and no new ledger row');
  assert.ok(outbox(home).every((p) => p.status === 'sent'), 'nothing new to send');
  assert.equal(fake.sent.length, total);
  for (const [text, n] of deliveredCounts(fake)) assert.equal(n, 1, `delivered once: ${text}`);
});
