// The channel's policies, end to end against the fake Bot API: rate limits and retry_after, 5xx
// backoff, dead letters, the unknown-outcome policy, a wrong token, 409, one poller per token,
// the catch-up policy, and that the token appears in no log or status output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './harness.js';
import { BOT_TOKEN, outbox, telegramGateway, updates, writeTelegramConfig } from './telegram-harness.js';

interface StatusJson { running: boolean; channels: Array<Record<string, any>>; probes?: Array<{ id: string; ok: boolean; detail: string }> }

async function statusJson(home: { cli: (a: string[]) => Promise<{ stdout: string }> }, profile = 'default'): Promise<StatusJson> {
  return JSON.parse((await home.cli(['status', '--deep', '--json', '--profile', profile])).stdout) as StatusJson;
}

test('429: the part waits out retry_after and is delivered once', async (t) => {
  const { home, fake } = await telegramGateway(t);
  fake.inject('sendMessage', { kind: 'status', status: 429, description: 'Too Many Requests: retry after 2', retryAfter: 2 });
  await home.start();
  const refusedAt = Date.now();
  fake.userSays(111, 'slow down');
  await eventually('delivered', () => fake.sent.length === 1, 60_000);
  assert.ok(fake.sent[0]!.at - refusedAt >= 2_000 - 50, 'not before retry_after');
  assert.equal(fake.count('sendMessage'), 2);
  await eventually('sent recorded', () => outbox(home).every((p) => p.status === 'sent'));
});

test('5xx: retried with backoff until delivered, once', async (t) => {
  const { home, fake } = await telegramGateway(t);
  fake.inject('sendMessage', { kind: 'status', status: 502, description: 'Bad Gateway' }, 3);
  await home.start();
  fake.userSays(111, 'flaky');
  await eventually('delivered', () => fake.sent.length === 1, 60_000);
  assert.equal(fake.count('sendMessage'), 4);
  await eventually('sent recorded', () => outbox(home).every((p) => p.status === 'sent' && p.possible_duplicate === 0));
});

test('a blocked chat and a vanished chat are dead letters with the reason, shown in status; others go on', async (t) => {
  const { home, fake } = await telegramGateway(t);
  await home.start();
  fake.blocked.add(333);
  fake.userSays(333, 'are you there');
  fake.userSays(222, 'gone soon');
  fake.knownChats.delete(222); // the chat is deleted before the reply goes out
  fake.userSays(111, 'fine');
  await eventually('two dead letters', () => outbox(home).filter((p) => p.status === 'dead').length === 2, 60_000);
  await eventually('111 answered', () => fake.sentTo(111).length === 1);
  const status = await eventually('status shows both', async () => {
    const s = await statusJson(home);
    return s.channels[0]?.deadLetters.count === 2 ? s : null;
  });
  const channel = status.channels[0]!;
  const reasons = channel.deadLetters.recent.map((d: { reason: string }) => d.reason).join(' | ');
  assert.match(reasons, /bot was blocked/);
  assert.match(reasons, /chat not found/);
  const probe = status.probes!.find((p) => p.id === 'channel:telegram')!;
  assert.equal(probe.ok, false);
  assert.match(probe.detail, /dead letters 2/);
  assert.equal(fake.sentTo(333).length, 0);
});

test('unknown outcome (delivered, then the connection cut): sent once more and counted as a possible duplicate', async (t) => {
  const { home, fake } = await telegramGateway(t);
  fake.inject('sendMessage', { kind: 'drop-after' });
  await home.start();
  fake.userSays(111, 'maybe twice');
  await eventually('resent', () => fake.sent.length === 2, 60_000);
  await eventually('recorded', () => outbox(home)[0]?.status === 'sent');
  const part = outbox(home)[0]!;
  assert.equal(part.possible_duplicate, 1);
  assert.equal(part.resends, 1);
  await eventually('status counts it', async () => (await statusJson(home)).channels[0]?.outbox.possibleDuplicates === 1);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(fake.sent.length, 2, 'resent once only');
});

test('unknown outcome twice: stopped as `unknown`, never called delivered, shown with the dead letters', async (t) => {
  const { home, fake } = await telegramGateway(t);
  fake.inject('sendMessage', { kind: 'drop-before' }, 2);
  await home.start();
  fake.userSays(111, 'lost in the wire');
  await eventually('given up', () => outbox(home)[0]?.status === 'unknown', 60_000);
  assert.equal(fake.sent.length, 0);
  assert.equal(fake.count('sendMessage'), 2);
  await eventually('status shows it', async () => (await statusJson(home)).channels[0]?.deadLetters.unknownOutcome === 1);
});

test('a wrong token (401): the channel fails with a clear message, the HTTP API keeps working, the token is in no output', async (t) => {
  const { home, fake } = await telegramGateway(t);
  const wrong = '123456789:AAWrongTokenWrongTokenWrongToken_zzzz';
  writeFileSync(join(home.paths().dir, 'telegram.token'), `${wrong}\n`, { mode: 0o600 });
  await home.start();
  const status = await eventually('failed state', async () => {
    const s = await statusJson(home);
    return s.channels[0]?.state === 'failed' ? s : null;
  }, 60_000);
  assert.match(status.channels[0]!.detail, /401 Unauthorized/);
  const sent = await home.cli(['send', 'api-session', 'still here', '--wait']);
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /echo: still here/);
  const human = await home.cli(['status', '--deep']);
  const log = readFileSync(home.paths().gatewayLog, 'utf8');
  for (const text of [JSON.stringify(status), human.stdout, log]) {
    assert.ok(!text.includes(wrong.split(':')[1]!), 'the token leaked');
    assert.ok(!text.includes(BOT_TOKEN.split(':')[1]!), 'a token leaked');
  }
});

test('409 from Telegram (another poller elsewhere): reported clearly, retried slowly, not in a tight loop', async (t) => {
  const { home, fake } = await telegramGateway(t);
  fake.foreignPoller = true;
  await home.start();
  const status = await eventually('conflict state', async () => {
    const s = await statusJson(home);
    return s.channels[0]?.state === 'conflict' ? s : null;
  }, 60_000);
  assert.match(status.channels[0]!.detail, /409 Conflict/);
  const before = fake.count('getUpdates');
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  assert.ok(fake.count('getUpdates') - before <= 1, `getUpdates called ${fake.count('getUpdates') - before} times in 3 s`);
});

test('a second profile with the same bot token is refused with a clear error; the first keeps polling', async (t) => {
  const { home, fake } = await telegramGateway(t);
  writeTelegramConfig(home, fake, {}, {}, 'b');
  await home.start('default');
  await eventually('first polls', async () => (await statusJson(home)).channels[0]?.state === 'polling', 60_000);
  await home.start('b');
  const second = await eventually('second refused', async () => {
    const s = await statusJson(home, 'b');
    return s.channels[0]?.state === 'failed' ? s : null;
  }, 60_000);
  assert.match(second.channels[0]!.detail, /another gateway already polls bot @fake_bot/);
  fake.userSays(111, 'who answers');
  await eventually('answered', () => fake.sent.length === 1, 60_000);
  assert.equal((await statusJson(home)).channels[0]!.state, 'polling');
});

test('catch-up policy: an update older than catchUpMaxAgeS is skipped, recorded, the chat told, status counts it', async (t) => {
  const { home, fake } = await telegramGateway(t, { catchUpMaxAgeS: 3600 });
  fake.userSays(111, 'from long ago', { date: Math.floor(Date.now() / 1000) - 7200 });
  fake.userSays(111, 'fresh');
  await home.start();
  await eventually('two messages out', () => fake.sent.length === 2, 60_000);
  assert.match(fake.sent[0]!.text, /^Not answered: your message from .* waited 120 min/);
  assert.equal(fake.sent[1]!.text, 'echo: fresh');
  assert.deepEqual(updates(home).map((u) => u.outcome), ['skipped_old', 'accepted']);
  await eventually('status counts it', async () => (await statusJson(home)).channels[0]?.updates.skippedOld === 1);
  assert.equal(home.messages().filter((m) => m.text.includes('long ago')).length, 0, 'never given to the agent');
});
