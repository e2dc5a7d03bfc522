// Shared setup for the Telegram end-to-end tests: a fake Bot API, a profile whose config points
// the channel at it, the token in a 0600 file, and readers for the channel's tables.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { TestContext } from 'node:test';
import { FakeTelegram } from '../channels/fake-telegram.js';
import { TestHome } from './harness.js';

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
