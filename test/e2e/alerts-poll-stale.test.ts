// "A channel has not polled successfully for a configured time", on a real gateway against the
// fake Bot API and a local webhook receiver: idle long polls never raise it; getUpdates answering
// 502, then hanging, each raise it once, and the next completed poll resolves it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { eventually } from './harness.js';
import { telegramGateway } from './telegram-harness.js';
import { WebhookReceiver } from './webhook-receiver.js';

const INCIDENT = 'channel_poll_stale:telegram';
/** Long polls of 5 s against a 10 s threshold (the shortest the config allows for them). */
const POLL_TIMEOUT_S = 5;
const STALE_AFTER_MS = 10_000;

// The poller's backoff after a run of 502s (up to 30 s, +-50 %) makes this test long: it has its own timeout.
test('channel_poll_stale: not for an idle channel; once for a 502 run and once for a hung poll, each resolved when a poll completes', { timeout: 300_000 }, async (t) => {
  const receiver = await new WebhookReceiver().start();
  t.after(() => receiver.stop());
  const { home, fake } = await telegramGateway(t, { pollTimeoutS: POLL_TIMEOUT_S }, { alerts: { webhook: receiver.url, pollStaleAfterMs: STALE_AFTER_MS } });
  await home.start();
  const openFile = join(home.paths().dir, 'alerts', 'open', 'channel_poll_stale_telegram.json');

  // Idle: three long polls in a row come back empty after 5 s each, 15 s without an update.
  await eventually('a first poll', () => fake.count('getUpdates') >= 1);
  const before = fake.count('getUpdates');
  await eventually('three idle long polls', () => fake.count('getUpdates') >= before + 3, 60_000);
  assert.deepEqual(receiver.states(INCIDENT), [], 'an idle channel is not silent');
  assert.equal(existsSync(openFile), false);

  // The platform answers 502 to every poll.
  fake.inject('getUpdates', { kind: 'status', status: 502, description: 'Bad Gateway' }, 1_000_000);
  await eventually('channel_poll_stale raised', () => receiver.states(INCIDENT).length === 1, 60_000);
  const firing = receiver.received.find((a) => a.gatehouse.incident === INCIDENT);
  assert.equal(firing?.gatehouse.state, 'firing');
  assert.equal(firing?.gatehouse.severity, 'critical');
  assert.match(firing?.message ?? '', /no poll completed for \d+ s .*Bad Gateway/);
  const failedPolls = fake.count('getUpdates');
  await eventually('another failed poll while it is open', () => fake.count('getUpdates') >= failedPolls + 1, 60_000);
  assert.deepEqual(receiver.states(INCIDENT), ['firing'], 'raised once however long it lasts');
  const status = JSON.parse((await home.cli(['status', '--deep', '--json'])).stdout) as { probes: Array<{ id: string; detail: string }> };
  assert.match(status.probes.find((p) => p.id === 'alerts')?.detail ?? '', /channel_poll_stale:telegram since/);
  fake.clearFaults('getUpdates');
  await eventually('resolved once a poll completes', () => receiver.states(INCIDENT).length === 2, 60_000);
  assert.deepEqual(receiver.states(INCIDENT), ['firing', 'resolved']);
  assert.equal(existsSync(openFile), false);

  // A long poll that hangs (no answer, no error yet) past the threshold.
  fake.inject('getUpdates', { kind: 'hold' });
  await fake.whenHeld();
  await eventually('raised for the hung poll', () => receiver.states(INCIDENT).length === 3, 60_000);
  assert.match(receiver.received.filter((a) => a.gatehouse.incident === INCIDENT).at(-1)?.message ?? '', /a poll is still waiting for an answer/);
  fake.release();
  await eventually('resolved again', () => receiver.states(INCIDENT).length === 4, 60_000);
  assert.deepEqual(receiver.states(INCIDENT), ['firing', 'resolved', 'firing', 'resolved']);

  // And the chat works.
  fake.userSays(111, 'still there?');
  await eventually('a reply', () => fake.sentTo(111).some((m) => m.text === 'echo: still there?'), 30_000);
  await sleep(500);
  assert.equal(receiver.states(INCIDENT).length, 4);
  assert.ok(receiver.received.every((a) => !JSON.stringify(a).includes(fake.token.split(':')[1] as string)), 'a bot token in an alert');
});
