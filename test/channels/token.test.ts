// The bot token file: 0600 and the user's own, or refused with the fix; the environment stands in
// only when the file does not exist; nothing that is not a bot token is taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBotToken } from '../../src/channels/telegram/token.js';
import { tempDir } from '../unit/helpers.js';

const TOKEN = '1234567:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

test('a 0600 file is read; the bot id is the part before the colon', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'telegram.token'), `${TOKEN}\n`, { mode: 0o600 });
  const read = readBotToken(dir, 'telegram.token', {});
  assert.deepEqual(read, { ok: true, token: TOKEN, botId: '1234567', from: join(dir, 'telegram.token') });
});

test('a file others can read is refused with the chmod to run, and the token is not in the message', { skip: process.platform === 'win32' }, (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'telegram.token');
  writeFileSync(file, TOKEN);
  chmodSync(file, 0o644);
  const read = readBotToken(dir, 'telegram.token', { TELEGRAM_BOT_TOKEN: TOKEN });
  assert.equal(read.ok, false);
  assert.match(!read.ok ? read.reason : '', /readable by others \(mode 644\): run chmod 600/);
  assert.ok(!JSON.stringify(read).includes(TOKEN.split(':')[1]!));
});

test('TELEGRAM_BOT_TOKEN stands in when the file does not exist; neither: a clear error', (t) => {
  const dir = tempDir(t);
  const fromEnv = readBotToken(dir, 'telegram.token', { TELEGRAM_BOT_TOKEN: ` ${TOKEN} ` });
  assert.ok(fromEnv.ok && fromEnv.from === 'TELEGRAM_BOT_TOKEN' && fromEnv.token === TOKEN);
  const none = readBotToken(dir, 'telegram.token', {});
  assert.match(!none.ok ? none.reason : '', /no bot token: put it in .*telegram\.token \(mode 600\) or set TELEGRAM_BOT_TOKEN/);
});

test('something that is not a bot token is refused without being echoed', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'telegram.token'), 'hunter2-not-a-token', { mode: 0o600 });
  const read = readBotToken(dir, 'telegram.token', {});
  assert.equal(read.ok, false);
  assert.ok(!JSON.stringify(read).includes('hunter2'));
});
