// Retention of the channel's tables on a real session store: which ledger rows and outbox parts a
// pass removes and which it keeps, at most PRUNE_BATCH per table and pass, the floor that keeps a
// removed update a duplicate, and status totals that still count what was removed.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SessionStore } from '../../src/gateway/store.js';
import { DEAD_KEEP_MS, PRUNE_BATCH, Retention, SENT_KEEP_MS } from '../../src/channels/telegram/retention.js';
import { channelSnapshots } from '../../src/channels/telegram/status-read.js';
import { TelegramTables, writeChannelState, type UpdateOutcome } from '../../src/channels/telegram/tables.js';
import { tempDir } from '../unit/helpers.js';

const BOT = '4242';
const CHAT = { chatId: 111, threadId: null };
const DAY_MS = 24 * 3_600_000;

interface Fixture { store: SessionStore; tables: TelegramTables; retention: Retention }

function fixture(t: TestContext, keep: number): Fixture {
  const { store } = SessionStore.open(join(tempDir(t), 'sessions.db'));
  t.after(() => store.close());
  const tables = new TelegramTables(store.database, BOT);
  writeChannelState(store.database, 'telegram', { state: 'polling', detail: null, bot: BOT });
  return { store, tables, retention: new Retention(store.database, BOT, keep, (work) => store.inTransaction(work)) };
}

/** Updates first..last, each answered (or not) with the given outcome. */
function record(f: Fixture, first: number, last: number, outcome: UpdateOutcome = 'ignored', answered = true): void {
  f.store.inTransaction(() => {
    for (let id = first; id <= last; id++) {
      const message = answered ? null : f.store.addUserMessage('tg:4242:111', `text ${id}`);
      f.tables.recordUpdate({ bot: BOT, updateId: id, outcome, chat: CHAT, tgMessageId: id, messageId: message?.id ?? null, detail: null, updateDate: null });
    }
  });
}

const ledgerIds = (f: Fixture): number[] => (f.store.database.prepare('SELECT update_id FROM telegram_updates ORDER BY update_id').all() as Array<{ update_id: number }>).map((r) => Number(r.update_id));
const statuses = (f: Fixture): string[] => (f.store.database.prepare('SELECT source, status FROM telegram_outbox ORDER BY seq').all() as Array<{ source: string; status: string }>).map((r) => `${r.source}:${r.status}`);

test('answered ledger rows more than keepUpdates below the confirmed offset go; the floor still calls them recorded', (t) => {
  const f = fixture(t, 10);
  record(f, 1, 50, 'ignored');
  record(f, 51, 60, 'unknown_sender');
  const result = f.retention.pass(61);
  assert.equal(result.updates, 50);
  assert.deepEqual(ledgerIds(f), [51, 52, 53, 54, 55, 56, 57, 58, 59, 60], 'ids 51.. are within 10 of offset 61');
  assert.equal(f.tables.floor(), 51);
  assert.equal(f.tables.isRecorded(7), true, 'below the floor: committed, although its row is gone');
  assert.equal(f.tables.isRecorded(61), false);
  assert.equal(f.tables.nextOffset(), 61);
  assert.equal(f.retention.pass(61).updates, 0, 'nothing more is due');
  const snapshot = channelSnapshots(f.store.database)[0]!;
  assert.deepEqual([snapshot.updates.total, snapshot.updates.ignored, snapshot.updates.unknownSenders], [60, 50, 10], 'totals count the removed rows');
});

test('a row whose message is not answered yet is kept, however old, and the floor passes it without harm', (t) => {
  const f = fixture(t, 0);
  record(f, 1, 5);
  record(f, 6, 6, 'accepted', false);
  record(f, 7, 9);
  f.retention.pass(10);
  assert.deepEqual(ledgerIds(f), [6]);
  assert.equal(f.tables.unanswered().length, 1, 'the outbox pass still finds it');
  assert.equal(f.tables.nextOffset(), 10, 'the offset comes from the floor once the newest rows are gone');
  f.tables.markAnswered(6);
  f.retention.pass(10);
  assert.deepEqual(ledgerIds(f), []);
});

test('a pass removes at most PRUNE_BATCH rows of the ledger; the next passes take the rest', (t) => {
  const f = fixture(t, 0);
  const many = PRUNE_BATCH * 2 + 7;
  record(f, 1, many);
  assert.equal(f.retention.pass(many + 1).updates, PRUNE_BATCH);
  assert.equal(ledgerIds(f).length, many - PRUNE_BATCH);
  assert.equal(f.tables.floor(), PRUNE_BATCH + 1, 'the floor covers exactly what went');
  assert.equal(f.tables.isRecorded(PRUNE_BATCH + 1), true, 'its row is still there');
  assert.equal(f.retention.pass(many + 1).updates, PRUNE_BATCH);
  assert.equal(f.retention.pass(many + 1).updates, 7);
  assert.equal(ledgerIds(f).length, 0);
});

test('sent parts go after SENT_KEEP_MS unless a part of the same reply is still on its way; dead letters after DEAD_KEEP_MS', (t) => {
  const f = fixture(t, 0);
  const now = Date.now();
  f.tables.addParts('reply:a', CHAT, null, ['a1']);
  f.tables.addParts('reply:b', CHAT, null, ['b1', 'b2']);
  f.tables.addParts('reply:c', CHAT, null, ['c1']);
  f.tables.addParts('reply:d', CHAT, null, ['d1']);
  const [a1, b1, , c1, d1] = f.tables.openParts().map((p) => p.seq);
  f.tables.markSent(a1!, 1);
  f.tables.outcomeUnknown(b1!, 'cut'); // resent once: a possible duplicate when it goes through
  f.tables.markSent(b1!, 2);
  f.tables.markDead(c1!, 'Forbidden: bot was blocked by the user');
  f.tables.markSent(d1!, 3);

  assert.deepEqual(f.retention.pass(0, now + SENT_KEEP_MS - DAY_MS), { updates: 0, sent: 0, dead: 0 }, 'nothing is old enough yet');
  assert.deepEqual(f.retention.pass(0, now + SENT_KEEP_MS + DAY_MS), { updates: 0, sent: 2, dead: 0 });
  assert.deepEqual(statuses(f), ['reply:b:sent', 'reply:b:pending', 'reply:c:dead'], 'b1 stays while b2 is still to send');
  const snapshot = channelSnapshots(f.store.database)[0]!;
  assert.deepEqual([snapshot.outbox.sent, snapshot.outbox.possibleDuplicates, snapshot.deadLetters.count], [3, 1, 1], 'sent and duplicates are totals; dead letters are those held');

  assert.deepEqual(f.retention.pass(0, now + DEAD_KEEP_MS + DAY_MS), { updates: 0, sent: 0, dead: 1 });
  assert.deepEqual(statuses(f), ['reply:b:sent', 'reply:b:pending']);
});

test('once the update ids started over, the earlier sequence\'s answered rows go first whatever their ids, and the floor is the new sequence\'s', (t) => {
  const f = fixture(t, 2);
  record(f, 5_000, 5_009);
  f.retention.pass(5_010);
  assert.equal(f.tables.floor(), 5_008);
  assert.equal(f.tables.startSequence(100), 1);
  assert.equal(f.tables.nextOffset(), 100);
  assert.equal(f.tables.floor(), 0, 'the old floor says nothing about the new ids');
  assert.equal(f.tables.isRecorded(5_008), false, 'an old id is new in the new sequence');
  record(f, 100, 103);
  record(f, 5_008, 5_008); // the new sequence reaches an id the old one still holds
  assert.equal(f.tables.nextOffset(), 5_009);
  assert.equal(f.retention.pass(104).updates, 2 + 2, 'both old rows, and the new ones below 104 - 2');
  assert.deepEqual(f.store.database.prepare('SELECT sequence, update_id FROM telegram_updates ORDER BY sequence, update_id').all().map((r) => `${String(r.sequence)}:${String(r.update_id)}`),
    ['1:102', '1:103', '1:5008']);
  assert.equal(f.tables.floor(), 102, 'raised by the new sequence alone');
  assert.equal(f.tables.isRecorded(101), true);
  assert.equal(channelSnapshots(f.store.database)[0]!.updates.total, 15, 'totals count both sequences');
});
