// Alerts out of band, against a local webhook receiver and real gateways: each trigger fires once
// per incident and resolves; delivery retries a refusing receiver; the webhook's secret and the API
// token appear nowhere but their own files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { eventually, isAlive, TestHome, workerPid, workerCrashes } from './harness.js';
import { WebhookReceiver } from './webhook-receiver.js';
import { BOT_TOKEN, telegramGateway } from './telegram-harness.js';

async function setup(t: { after(fn: () => Promise<void>): void }, alerts: Record<string, unknown> = {}, agent: Record<string, unknown> = { kind: 'echo', delayMs: 0 }): Promise<{ home: TestHome; receiver: WebhookReceiver }> {
  const home = new TestHome();
  const receiver = await new WebhookReceiver().start();
  t.after(async () => { await home.cleanup(); await receiver.stop(); });
  home.writeConfig({ agent, alerts: { webhook: receiver.url, ...alerts } });
  return { home, receiver };
}

/** Every file of the profile but the config (which holds the webhook by the user's choice) and the token. */
function profileText(home: TestHome): string {
  const dir = home.paths().dir;
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]);
  return walk(dir).filter((f) => !f.endsWith('config.json') && !f.endsWith('/token') && !f.includes('sessions.db')).map((f) => readFileSync(f, 'utf8')).join('\n');
}

test('alert --test delivers one alert; a refusing receiver fails it with the origin only, never the secret path', async (t) => {
  const { home, receiver } = await setup(t);
  const sent = await home.cli(['alert', '--test']);
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /delivered to http:\/\/127\.0\.0\.1:\d+$/m);
  assert.deepEqual(receiver.states('test'), ['test']);
  const [body] = receiver.received;
  assert.ok(body !== undefined && body.text === body.content && body.text.includes('test alert'), JSON.stringify(body));
  receiver.refuse(1);
  const refused = await home.cli(['alert', '--test']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /answered 503/);
  const deep = await home.cli(['status', '--deep', '--json']);
  const probe = (JSON.parse(deep.stdout) as { probes: Array<{ id: string; ok: boolean; detail: string }> }).probes.find((p) => p.id === 'alerts');
  assert.equal(probe?.ok, false, JSON.stringify(probe));
  assert.match(probe?.detail ?? '', /answered 503/);
  for (const text of [sent.stdout, sent.stderr, refused.stdout, refused.stderr, deep.stdout, profileText(home)]) assert.ok(!text.includes(receiver.secret), 'the webhook secret leaked');
});

test('crash loop: one alert however often the breaker is looked at; resolved once a worker serves again', async (t) => {
  const { home, receiver } = await setup(t);
  await home.start();
  for (let crash = 1; crash <= 5; crash += 1) {
    const worker = await eventually(`worker ${crash}`, () => { try { const w = workerPid(home); return isAlive(w) ? w : null; } catch { return null; } });
    process.kill(worker, 'SIGKILL');
    await eventually(`crash ${crash}`, () => workerCrashes(home) === crash);
  }
  await eventually('the crash_loop alert', () => receiver.states('crash_loop').length === 1);
  await home.cli(['status', '--deep']); // status writes nothing that could raise it again
  await sleep(1_500);
  assert.deepEqual(receiver.states('crash_loop'), ['firing']);
  assert.equal(receiver.received.find((a) => a.gatehouse.incident === 'crash_loop')?.gatehouse.severity, 'critical');
  // The breaker holds for minutes; a stop and a start brings a serving worker, which resolves it.
  assert.equal((await home.cli(['stop'])).code, 0);
  await home.start();
  await eventually('crash_loop resolved', () => receiver.states('crash_loop').length === 2);
  assert.deepEqual(receiver.states('crash_loop'), ['firing', 'resolved']);
});

test('a wedged worker (SIGSTOP) is alerted once and resolved when it answers again', async (t) => {
  const { home, receiver } = await setup(t, { wedgedAfterMs: 1_500 });
  await home.start();
  const worker = workerPid(home);
  process.kill(worker, 'SIGSTOP');
  try {
    await eventually('worker_wedged', () => receiver.states('worker_wedged').length === 1, 30_000);
    await sleep(2_000);
    assert.deepEqual(receiver.states('worker_wedged'), ['firing']);
  } finally {
    process.kill(worker, 'SIGCONT');
  }
  await eventually('worker_wedged resolved', () => receiver.states('worker_wedged').length === 2, 30_000);
  assert.deepEqual(receiver.states('worker_wedged'), ['firing', 'resolved']);
  assert.ok(home.lifecycle().some((e) => e.event === 'worker_wedged'));
});

test('each failed message is alerted once, without its text', async (t) => {
  const home0 = new TestHome();
  const failing = join(home0.home, 'fail.sh');
  writeFileSync(failing, '#!/bin/sh\necho "model exploded" >&2\nexit 3\n', { mode: 0o755 });
  const { home, receiver } = await setup(t, {}, { kind: 'command', command: failing });
  t.after(() => home0.cleanup());
  await home.start();
  const api = home.api();
  const first = await api.send('chat-1', 'PRIVATE-TEXT-ONE');
  const second = await api.send('chat-2', 'PRIVATE-TEXT-TWO');
  await eventually('two failure alerts', () => receiver.received.filter((a) => a.gatehouse.incident.startsWith('message_failed:')).length === 2);
  await sleep(1_000);
  const failures = receiver.received.filter((a) => a.gatehouse.incident.startsWith('message_failed:'));
  assert.equal(failures.length, 2);
  assert.deepEqual(new Set(failures.map((a) => a.gatehouse.incident)), new Set([`message_failed:${first}`, `message_failed:${second}`]));
  assert.ok(failures.every((a) => a.message.includes('model exploded') && !a.text.includes('PRIVATE-TEXT')), JSON.stringify(failures));
});

test('the watchdog: a killed gateway is alerted after the grace, once; a restart resolves it; a planned stop is no incident', async (t) => {
  const { home, receiver } = await setup(t, { downAfterMs: 1_000 });
  const monitor = await home.start();
  const up = await home.cli(['alert', '--check', '--json']);
  assert.equal((JSON.parse(up.stdout) as { verdict: string }).verdict, 'up');
  process.kill(-monitor, 'SIGKILL'); // the whole process group: no exit record
  await eventually('the gateway gone', () => !isAlive(monitor));
  // One way a gateway stays down is a config that turned fatal: the watchdog still reads its alerts.
  const good = readFileSync(home.paths().config, 'utf8');
  writeFileSync(home.paths().config, good.replace('"agent":', '"agent": {"kind": "nope"}, "unused":'));
  const first = JSON.parse((await home.cli(['alert', '--check', '--json'])).stdout) as { verdict: string };
  assert.equal(first.verdict, 'down-grace', 'the first look only starts the clock');
  await sleep(1_200);
  const second = JSON.parse((await home.cli(['alert', '--check', '--json'])).stdout) as { verdict: string };
  assert.equal(second.verdict, 'down');
  await home.cli(['alert', '--check']);
  await eventually('gateway_down', () => receiver.states('gateway_down').length === 1);
  await sleep(1_000);
  assert.deepEqual(receiver.states('gateway_down'), ['firing']);
  writeFileSync(home.paths().config, good);
  await home.start(); // the revived monitor clears it at once
  await eventually('gateway_down resolved', () => receiver.states('gateway_down').length === 2);
  assert.deepEqual(receiver.states('gateway_down'), ['firing', 'resolved']);
  assert.equal((await home.cli(['stop'])).code, 0);
  await sleep(1_200);
  const stopped = JSON.parse((await home.cli(['alert', '--check', '--json'])).stdout) as { verdict: string };
  assert.equal(stopped.verdict, 'stopped');
  assert.deepEqual(receiver.states('gateway_down'), ['firing', 'resolved']);
});

test('the watchdog: a wedged monitor (SIGSTOP) is alerted and resolved; a receiver that refuses twice still gets it once', async (t) => {
  const { home, receiver } = await setup(t);
  const monitor = await home.start();
  receiver.refuse(2);
  process.kill(monitor, 'SIGSTOP');
  try {
    const wedged = JSON.parse((await home.cli(['alert', '--check', '--json'])).stdout) as { verdict: string };
    assert.equal(wedged.verdict, 'wedged');
    await eventually('gateway_wedged after two refusals', () => receiver.states('gateway_wedged').length === 1, 30_000);
    assert.equal(receiver.refused, 2);
  } finally {
    process.kill(monitor, 'SIGCONT');
  }
  const up = JSON.parse((await home.cli(['alert', '--check', '--json'])).stdout) as { verdict: string };
  assert.equal(up.verdict, 'up');
  await eventually('gateway_wedged resolved', () => receiver.states('gateway_wedged').length === 2);
  assert.deepEqual(receiver.states('gateway_wedged'), ['firing', 'resolved']);
  const status = await home.cli(['status', '--deep', '--json']);
  assert.ok(!status.stdout.includes(receiver.secret) && !status.stdout.includes(home.token()));
  assert.ok(!profileText(home).includes(home.token().slice(0, 20)), 'the API token is in a profile file other than its own');
});

test('Telegram: a refused token is an incident until the channel polls again; a dead letter is alerted once', async (t) => {
  const receiver = await new WebhookReceiver().start();
  t.after(() => receiver.stop());
  const { home, fake } = await telegramGateway(t, {}, { alerts: { webhook: receiver.url } });
  const tokenFile = join(home.paths().dir, 'telegram.token');
  const good = readFileSync(tokenFile, 'utf8');
  writeFileSync(tokenFile, '123456789:AAWrongTokenWrongTokenWrongToken_zzzz\n', { mode: 0o600 });
  await home.start();
  const refused = (): string[] => receiver.received.filter((a) => a.gatehouse.incident.startsWith('channel_refused:')).map((a) => a.gatehouse.state);
  await eventually('channel_refused', () => refused().length === 1, 60_000);
  assert.match(receiver.received.find((a) => a.gatehouse.incident.startsWith('channel_refused:'))?.message ?? '', /401/);
  writeFileSync(tokenFile, good, { mode: 0o600 });
  await eventually('channel_refused resolved (the channel retries a refused token every 30 s)', () => refused().length === 2, 90_000);
  assert.deepEqual(refused(), ['firing', 'resolved']);
  fake.inject('sendMessage', { kind: 'status', status: 400, description: 'Bad Request: chat not found' });
  fake.userSays(111, 'answer me');
  await eventually('a dead letter alert', () => receiver.received.some((a) => a.gatehouse.incident.startsWith('dead_letter:')), 60_000);
  await sleep(1_000);
  const dead = receiver.received.filter((a) => a.gatehouse.incident.startsWith('dead_letter:'));
  assert.equal(dead.length, 1);
  assert.match(dead[0]?.message ?? '', /chat not found/);
  for (const a of receiver.received) assert.ok(!JSON.stringify(a).includes('AAWrongToken') && !JSON.stringify(a).includes(BOT_TOKEN.split(':')[1] as string), 'a bot token in an alert');
});
