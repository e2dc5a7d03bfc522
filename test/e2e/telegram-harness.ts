// Shared setup for the Telegram end-to-end tests: a fake Bot API, a profile whose config points
// the channel at it, the token in a 0600 file, and readers for the channel's tables.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { TestContext } from 'node:test';
import { FakeTelegram } from '../channels/fake-telegram.js';
import { eventually, isAlive, TestHome } from './harness.js';

/**
 * One token per test process: the channel allows one poller per bot token on the machine, and test
 * files run side by side (npm test runs three at once), so a shared token would make their
 * gateways refuse each other.
 */
export const BOT_TOKEN = `123456789:AAFakeTokenForTests${String(process.pid).padStart(7, '0')}_abcdefghijklm`;

export interface TelegramSetup {
  readonly home: TestHome;
  readonly fake: FakeTelegram;
}

export async function telegramGateway(t: TestContext, channel: Record<string, unknown> = {}, config: Record<string, unknown> = {}, fakeOptions: { enforceLimits?: boolean } = {}): Promise<TelegramSetup> {
  const home = new TestHome();
  const fake = new FakeTelegram({ token: BOT_TOKEN, ...fakeOptions });
  await fake.start();
  t.after(async () => { await home.cleanup(); await fake.close(); });
  writeTelegramConfig(home, fake, channel, config);
  return { home, fake };
}

export function writeTelegramConfig(home: TestHome, fake: FakeTelegram, channel: Record<string, unknown> = {}, config: Record<string, unknown> = {}, profile = 'default'): void {
  const paths = home.paths(profile);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const tokenFile = join(paths.dir, 'telegram.token');
  writeFileSync(tokenFile, `${BOT_TOKEN}\n`);
  chmodSync(tokenFile, 0o600);
  home.writeConfig({
    agent: { kind: 'echo', delayMs: 0 },
    ...config,
    channels: [{ kind: 'telegram', apiRoot: fake.url, allowedChats: [111, 222, 333, -1001], adminChats: [111], pollTimeoutS: 2, ...channel }],
  }, profile);
}

export interface OutboxRow { seq: number; source: string; part: number; parts: number; chat_id: number; status: string; resends: number; possible_duplicate: number; error: string | null; text: string }
export interface UpdateRow { update_id: number; outcome: string; chat_id: number | null; message_id: string | null; answered: number; detail: string | null }

export function readTable<T>(home: TestHome, sql: string, profile = 'default'): T[] {
  const db = new DatabaseSync(home.paths(profile).database, { readOnly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

export const outbox = (home: TestHome): OutboxRow[] => readTable<OutboxRow>(home, 'SELECT * FROM telegram_outbox ORDER BY seq');
export const updates = (home: TestHome): UpdateRow[] => readTable<UpdateRow>(home, 'SELECT * FROM telegram_updates ORDER BY update_id');

/** Every text the bot delivered to a chat, counted: each must appear once. */
export function deliveredCounts(fake: FakeTelegram, chatId?: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of chatId === undefined ? fake.sent : fake.sentTo(chatId)) counts.set(`${m.chatId}|${m.text}`, (counts.get(`${m.chatId}|${m.text}`) ?? 0) + 1);
  return counts;
}

/** Start the gateway with GATEHOUSE_TEST_FAULT set: SIGKILL of the target at the step (src/channels/telegram/fault.ts). */
export async function startWithFault(home: TestHome, step: string, target: 'worker' | 'gateway'): Promise<{ marker: string; env: NodeJS.ProcessEnv }> {
  const marker = join(home.home, `fault-${step}-${target}`);
  const env = { GATEHOUSE_TEST_FAULT: `${step}:${target}:${marker}` };
  const started = await home.cli(['start'], { env });
  assert.equal(started.code, 0, started.stderr);
  return { marker, env };
}

/** After the fault fired: wait for the worker's respawn, or start the killed gateway again. */
export async function comeBack(home: TestHome, marker: string, target: 'worker' | 'gateway', env: NodeJS.ProcessEnv): Promise<void> {
  await eventually('the fault fired', () => existsSync(marker), 60_000);
  if (target === 'worker') return;
  const state = home.state();
  const pid = state.kind === 'ok' ? state.value.pid : null;
  if (pid !== null) await eventually('the monitor is gone', () => !isAlive(pid));
  const again = await home.cli(['start'], { env });
  assert.equal(again.code, 0, again.stderr);
}

/** Each expected text delivered once and nothing else, every part sent, every update answered and confirmed. */
export async function assertExactlyOnce(fake: FakeTelegram, home: TestHome, expected: readonly string[]): Promise<void> {
  // Telegram has the message before the gateway records its answer: wait for the record.
  await eventually('the outbox settled', () => outbox(home).every((p) => p.status !== 'pending' && p.status !== 'sending'));
  const counts = deliveredCounts(fake);
  for (const text of expected) assert.equal(counts.get(text), 1, `${text} delivered ${counts.get(text) ?? 0} times`);
  assert.equal(fake.sent.length, expected.length, `unexpected extra sends: ${fake.sent.map((m) => m.text.slice(0, 30)).join(' | ')}`);
  const parts = outbox(home);
  assert.ok(parts.every((p) => p.status === 'sent' && p.possible_duplicate === 0), JSON.stringify(parts.filter((p) => p.status !== 'sent' || p.possible_duplicate !== 0)));
  assert.ok(updates(home).every((u) => u.answered === 1), 'every update answered');
  assert.ok(home.messages().filter((m) => m.role === 'user').every((m) => m.status === 'done'), 'no message left open');
  assert.equal(fake.unconfirmed, 0, 'every update confirmed to Telegram');
}
