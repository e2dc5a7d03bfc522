// Telegram starts its update ids over at a random value after a week without updates
// (https://core.telegram.org/bots/api#getupdates), often far below the offset a bot holds; the
// fake models it (restartSequence) with the Bot API server's reading of such an offset (it
// confirms nothing: go-telegram-bot-api#156). A real gateway must answer every message of the new
// sequence exactly once, confirm them, and go on polling: past a full batch, below the floor of
// what retention removed, through a SIGKILL of the worker or the whole gateway at each step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { eventually, type TestHome } from './harness.js';
import { assertExactlyOnce, BOT_TOKEN, comeBack, readTable, startWithFault, telegramGateway, updates } from './telegram-harness.js';
import type { FakeTelegram } from '../channels/fake-telegram.js';
import { makeLegacy } from '../channels/legacy-ledger.js';

const CHATS = [111, 222, 333];
/** Fast enough that a run is not paced by Telegram's per-chat rate (the fake enforces none here). */
const UNLIMITED = { perChatPerS: 1_000, chatBurst: 1_000, perGroupPerMin: 60_000, perBotPerS: 1_000 };
/** Where the fake's ids start over: far below its first sequence (5000 on). */
const NEW_START = 117;

interface LedgerRow { sequence: number; update_id: number; answered: number }
const ledger = (home: TestHome): LedgerRow[] => readTable<LedgerRow>(home, 'SELECT sequence, update_id, answered FROM telegram_updates ORDER BY sequence, update_id');
function offsetRow(home: TestHome): { next: number; sequence: number } | undefined {
  const [row] = readTable<{ next: number; sequence: number }>(home, 'SELECT next, sequence FROM telegram_offset');
  return row === undefined ? undefined : { next: row.next, sequence: row.sequence };
}

/** Users write `count` messages; returns the replies the echo agent owes them (`chat|echo: text`). */
function say(fake: FakeTelegram, label: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const chat = CHATS[i % CHATS.length]!;
    fake.userSays(chat, `${label} ${i}`);
    return `${chat}|echo: ${label} ${i}`;
  });
}

async function answeredAndConfirmed(fake: FakeTelegram, total: number, what: string): Promise<void> {
  await eventually(`${what}: ${total} replies`, () => fake.sent.length >= total, 60_000);
  await eventually(`${what}: confirmed`, () => fake.unconfirmed === 0, 30_000);
}

test('after the update ids start over below the offset, each message of the new sequence is answered once, polling goes on past a full batch, and a later start above the offset needs no new sequence', async (t) => {
  const { home, fake } = await telegramGateway(t, { limits: UNLIMITED }, {}, { enforceLimits: false });
  await home.start();
  const expected = say(fake, 'before', 3);
  await answeredAndConfirmed(fake, expected.length, 'the first sequence');
  const oldOffset = fake.offsets.at(-1);

  fake.restartSequence(NEW_START);
  // More than Telegram's 100 a batch: an offset that confirms nothing would hold them all back.
  expected.push(...say(fake, 'after', 130));
  await answeredAndConfirmed(fake, expected.length, 'the new sequence');
  await assertExactlyOnce(fake, home, expected);

  const rows = ledger(home).filter((r) => r.sequence === 1);
  assert.equal(rows.length, 130, 'each update of the new sequence recorded once, in sequence 1');
  assert.deepEqual([rows[0]!.update_id, rows.at(-1)!.update_id], [NEW_START, NEW_START + 129]);
  assert.deepEqual(offsetRow(home), { next: NEW_START + 130, sequence: 1 }, 'the offset is one past the last update received');

  // A random new start above the offset (as tdlib draws it, mostly): the offset confirms nothing
  // of it, and one past the last received does; no new sequence is needed, none is recorded.
  const up = fake.restartSequence();
  assert.ok(up > NEW_START + 130);
  expected.push(...say(fake, 'higher', 3));
  await answeredAndConfirmed(fake, expected.length, 'the higher sequence');
  await assertExactlyOnce(fake, home, expected);
  assert.deepEqual(offsetRow(home), { next: up + 3, sequence: 1 });

  const log = readFileSync(home.paths().gatewayLog, 'utf8');
  const lines = log.split('\n').filter((l) => l.includes('update ids started over'));
  assert.equal(lines.length, 1, 'the restart is logged, once');
  const line = lines[0]!;
  const record = JSON.parse(line) as Record<string, unknown>;
  assert.deepEqual([record.offset, record.updateId, record.sequence], [oldOffset, NEW_START, 1]);
  assert.ok(!log.includes(BOT_TOKEN.split(':')[1]!), 'no token in the log');
});

test('a new sequence below the floor retention raised, running into ids the ledger still holds, loses nothing and is pruned in turn', async (t) => {
  const keep = 5;
  const { home, fake } = await telegramGateway(t, { keepUpdates: keep, limits: UNLIMITED }, {}, { enforceLimits: false });
  await home.start();
  const expected = say(fake, 'old', 40); // ids 5000..5039
  await answeredAndConfirmed(fake, expected.length, 'the first sequence');
  await eventually('the old ledger pruned to its margin', () => updates(home).length <= keep, 30_000);
  const [floor] = readTable<{ below: number }>(home, 'SELECT below FROM telegram_ledger_floor');
  const kept = updates(home).map((r) => r.update_id);
  assert.ok(floor !== undefined && floor.below > 5_010, `the floor was raised (${floor?.below})`);

  // Below the floor, and then through the ids still in the ledger (5035..5039) and past them.
  const start = 5_010;
  fake.restartSequence(start);
  expected.push(...say(fake, 'first of the new', 1));
  await answeredAndConfirmed(fake, expected.length, 'the first update of the new sequence');
  expected.push(...say(fake, 'new', 40)); // ids 5011..5050
  await answeredAndConfirmed(fake, expected.length, 'the new sequence');
  await assertExactlyOnce(fake, home, expected);
  assert.ok(kept.every((id) => id >= start && id <= start + 40), 'the new ids ran into the old rows kept');

  await eventually('the ledger pruned to its margin again, old sequence first', () => {
    const rows = ledger(home);
    return rows.length <= keep && rows.every((r) => r.sequence === 1) ? rows : null;
  }, 30_000);
  const status = await eventually('status totals', async () => {
    const s = JSON.parse((await home.cli(['status', '--json'])).stdout) as { channels: Array<{ updates: { total: number } }> };
    return s.channels[0]?.updates.total === expected.length ? s.channels[0] : null;
  });
  assert.equal(status.updates.total, 81, 'totals count both sequences');
});

for (const step of ['new-sequence', 'after-commit'] as const) {
  for (const target of ['worker', 'gateway'] as const) {
    test(`SIGKILL of the ${target} at ${step} of a new sequence of update ids: nothing lost, nothing answered twice`, async (t) => {
      const { home, fake } = await telegramGateway(t);
      await home.start();
      const expected = say(fake, 'before the week', 2);
      await answeredAndConfirmed(fake, expected.length, 'the first sequence');
      // A week away; Telegram starts the ids over meanwhile.
      assert.equal((await home.cli(['stop'])).code, 0);
      fake.restartSequence(NEW_START);
      const { marker, env } = await startWithFault(home, step, target);
      expected.push(...say(fake, 'new', 3));
      await comeBack(home, marker, target, env);
      expected.push(...say(fake, 'after the crash', 2));
      await answeredAndConfirmed(fake, expected.length, 'after the crash');
      await assertExactlyOnce(fake, home, expected);
      assert.deepEqual(offsetRow(home), { next: NEW_START + 5, sequence: 1 });
    });
  }
}

test('a database from before sequences (no offset row) keeps its offset: nothing answered again, the next message once', async (t) => {
  const { home, fake } = await telegramGateway(t);
  await home.start();
  const expected = say(fake, 'before the upgrade', 3); // ids 5000..5002
  await answeredAndConfirmed(fake, expected.length, 'before the upgrade');
  assert.equal((await home.cli(['stop'])).code, 0);
  const db = new DatabaseSync(home.paths().database);
  makeLegacy(db);
  db.close();

  const polls = fake.offsets.length;
  await home.start();
  await eventually('the upgraded gateway polls', () => fake.offsets.length > polls);
  assert.equal(fake.offsets[polls], 5_003, 'from where it was: one past the last update');
  expected.push(...say(fake, 'after the upgrade', 1));
  await answeredAndConfirmed(fake, expected.length, 'after the upgrade');
  await assertExactlyOnce(fake, home, expected);
  assert.deepEqual(offsetRow(home), { next: 5_004, sequence: 0 });
  assert.equal(ledger(home).length, 4, 'the old rows kept, in sequence 0 with the new one');
});
