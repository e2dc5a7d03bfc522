// The channel series of /metrics on a real gateway against the stateful fake Bot API: outbox depth,
// dead letters, delivery latency and the last successful poll, per channel, moving as messages flow,
// a send dead-letters and idle long polls come back empty; the stored counts outlive the worker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, isAlive, workerPid } from './harness.js';
import { metricValue, scrape, type ParsedFamily } from './metrics-scrape.js';
import { outbox, telegramGateway } from './telegram-harness.js';

const CH = { channel: 'telegram' };

function bucketsOf(families: readonly ParsedFamily[], name: string): { count: number; sum: number } | undefined {
  const metric = families.find((f) => f.name === name)?.metrics.find((m) => m.labels?.channel === 'telegram');
  return metric === undefined ? undefined : { count: Number(metric.count), sum: Number(metric.sum) };
}

test('/metrics per channel: outbox depth, dead letters, delivery latency and the last successful poll move with the chat', async (t) => {
  const { home, fake } = await telegramGateway(t, { pollTimeoutS: 1 });
  const startedS = Date.now() / 1000;
  await home.start();
  const url = home.apiUrl();
  const token = home.token();

  const first = await eventually('a first successful poll', async () => {
    const s = await scrape(url, token);
    return metricValue(s.families, 'gatehouse_channel_last_poll_success_timestamp_seconds', CH) === undefined ? null : s;
  });
  assert.equal(metricValue(first.families, 'gatehouse_channel_outbox_depth', CH), 0);
  assert.equal(metricValue(first.families, 'gatehouse_channel_dead_letters', CH), 0);
  assert.equal(metricValue(first.families, 'gatehouse_channel_state', { ...CH, state: 'polling' }), 1);
  assert.equal(metricValue(first.families, 'gatehouse_channel_state', { ...CH, state: 'failed' }), 0);
  assert.equal(bucketsOf(first.families, 'gatehouse_channel_delivery_latency_seconds'), undefined, 'nothing delivered yet');
  const firstPoll = metricValue(first.families, 'gatehouse_channel_last_poll_success_timestamp_seconds', CH) ?? 0;
  assert.ok(firstPoll >= Math.floor(startedS) - 1, `last poll ${firstPoll} is from this run (started ${startedS})`);

  // Idle: long polls that return no update are successful polls, so the timestamp keeps moving.
  await eventually('an idle long poll to count', async () => (metricValue((await scrape(url, token)).families, 'gatehouse_channel_last_poll_success_timestamp_seconds', CH) ?? 0) > firstPoll, 30_000);
  assert.equal(fake.sent.length, 0);

  // A reply held at Telegram is in the outbox until it is confirmed.
  fake.inject('sendMessage', { kind: 'hold' });
  fake.userSays(111, 'hello');
  await fake.whenHeld();
  const held = await scrape(url, token);
  assert.equal(metricValue(held.families, 'gatehouse_channel_outbox_depth', CH), 1);
  fake.release();
  const delivered = await eventually('the part confirmed', async () => {
    const s = await scrape(url, token);
    return metricValue(s.families, 'gatehouse_channel_outbox_depth', CH) === 0 && bucketsOf(s.families, 'gatehouse_channel_delivery_latency_seconds')?.count === 1 ? s : null;
  });
  const latency = bucketsOf(delivered.families, 'gatehouse_channel_delivery_latency_seconds');
  assert.ok(latency !== undefined && latency.sum > 0, `the held send took time: ${JSON.stringify(latency)}`);
  assert.equal(fake.sentTo(111).length, 1);

  // A permanent refusal: a dead letter, not a delivery.
  fake.inject('sendMessage', { kind: 'status', status: 400, description: 'Bad Request: chat not found' });
  fake.userSays(111, 'this one bounces');
  const dead = await eventually('the dead letter counted', async () => {
    const s = await scrape(url, token);
    return metricValue(s.families, 'gatehouse_channel_dead_letters', CH) === 1 ? s : null;
  }, 30_000);
  assert.equal(metricValue(dead.families, 'gatehouse_channel_outbox_depth', CH), 0);
  assert.equal(bucketsOf(dead.families, 'gatehouse_channel_delivery_latency_seconds')?.count, 1, 'a dead letter is not a delivery');
  assert.equal(outbox(home).filter((p) => p.status === 'dead').length, 1);

  // The stored counts come from the channel's tables: a new worker's scrape still has them.
  const worker = workerPid(home);
  process.kill(worker, 'SIGKILL');
  const after = await eventually('a new worker polling', async () => {
    try {
      const w = workerPid(home);
      if (w === worker || !isAlive(w)) return null;
      const s = await scrape(url, token);
      return metricValue(s.families, 'gatehouse_channel_state', { ...CH, state: 'polling' }) === 1 && metricValue(s.families, 'gatehouse_worker_crashes_total') === 1 ? s : null;
    } catch {
      return null;
    }
  }, 30_000);
  assert.equal(metricValue(after.families, 'gatehouse_channel_dead_letters', CH), 1);
  assert.equal(metricValue(after.families, 'gatehouse_channel_outbox_depth', CH), 0);
});
