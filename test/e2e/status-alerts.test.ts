// `status --deep` (and --json) on alerting: configured or not, where alerts go as an origin only
// (never a secret-bearing path or query), when one was last sent and last delivered, the last
// error while a receiver refuses.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TestHome } from './harness.js';
import { WebhookReceiver } from './webhook-receiver.js';

interface AlertsJson {
  configured: boolean; to: string | null; error: string | null;
  lastSentAt: string | null; lastSent: { incident: string; state: string } | null;
  lastDeliveredAt: string | null; lastDelivered: { incident: string; state: string } | null;
  lastError: string | null; lastErrorAt: string | null; failing: boolean; queued: number;
  open: Array<{ incident: string }>;
}
interface DeepJson { alerts?: AlertsJson; probes: Array<{ id: string; ok: boolean; detail: string }> }

async function deep(home: TestHome): Promise<{ json: DeepJson; text: string; raw: string }> {
  const json = await home.cli(['status', '--deep', '--json']);
  const text = await home.cli(['status', '--deep']);
  return { json: JSON.parse(json.stdout) as DeepJson, text: text.stdout, raw: json.stdout + json.stderr + text.stdout + text.stderr };
}

test('status --deep: alerts not configured says so, and plain status says nothing of alerts', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const { json, text } = await deep(home);
  assert.equal(json.alerts?.configured, false);
  assert.equal(json.alerts?.to, null);
  assert.equal(json.alerts?.lastSentAt, null);
  assert.match(text, /\[PASS\] alerts\s+not configured/);
  const plain = JSON.parse((await home.cli(['status', '--json'])).stdout) as { alerts?: unknown };
  assert.equal(plain.alerts, undefined);
});

test('status --deep: where alerts go (origin only), last sent and last delivered, the last error; never the secret', async (t) => {
  const home = new TestHome();
  const receiver = await new WebhookReceiver().start();
  t.after(async () => { await home.cleanup(); await receiver.stop(); });
  home.writeConfig({ alerts: { webhook: receiver.url } });
  const origin = new URL(receiver.url).origin;

  const before = await deep(home);
  assert.deepEqual({ ...before.json.alerts, open: undefined }, {
    configured: true, to: origin, error: null, lastSentAt: null, lastSent: null, lastDeliveredAt: null, lastDelivered: null,
    lastError: null, lastErrorAt: null, failing: false, queued: 0, open: undefined,
  });
  assert.match(before.text, new RegExp(`\\[PASS\\] alerts\\s+to ${origin.replaceAll('.', '\\.')}; last sent never; last delivered never`));

  assert.equal((await home.cli(['alert', '--test'])).code, 0);
  const sent = await deep(home);
  const a = sent.json.alerts;
  assert.ok(a !== undefined && a.lastSentAt !== null && a.lastDeliveredAt !== null, JSON.stringify(a));
  assert.deepEqual(a.lastSent, { incident: 'test', state: 'test' });
  assert.deepEqual(a.lastDelivered, { incident: 'test', state: 'test' });
  assert.equal(a.failing, false);
  assert.match(sent.text, new RegExp(`last sent ${a.lastSentAt.replaceAll('.', '\\.')} \\(test, test\\); last delivered ${a.lastDeliveredAt.replaceAll('.', '\\.')}`));

  receiver.refuse(1);
  assert.equal((await home.cli(['alert', '--test'])).code, 1);
  const refused = await deep(home);
  const r = refused.json.alerts;
  assert.ok(r !== undefined && r.lastSentAt !== null && r.lastSentAt > a.lastSentAt, 'a newer send');
  assert.equal(r.lastDeliveredAt, a.lastDeliveredAt, 'not delivered this time');
  assert.equal(r.failing, true);
  assert.match(r.lastError ?? '', /answered 503/);
  assert.equal(refused.json.probes.find((p) => p.id === 'alerts')?.ok, false);
  assert.match(refused.text, /\[FAIL\] alerts .*last error .*answered 503/);

  // A URL with its secret in the path and the query, from a webhookFile: still the origin only.
  const secretUrl = `${origin}/hooks/${receiver.secret}?token=QUERYSECRET123&sig=abc`;
  writeFileSync(join(home.paths().dir, 'hook.url'), `${secretUrl}\n`, { mode: 0o600 });
  home.writeConfig({ alerts: { webhookFile: 'hook.url' } });
  const fromFile = await deep(home);
  assert.equal(fromFile.json.alerts?.to, origin);
  const alertsCli = await home.cli(['alert', '--json']);
  assert.equal((JSON.parse(alertsCli.stdout) as AlertsJson).to, origin);
  for (const text of [before.raw, sent.raw, refused.raw, fromFile.raw, alertsCli.stdout]) {
    assert.ok(!text.includes(receiver.secret) && !text.includes('QUERYSECRET123') && !text.includes('/hooks'), 'a secret part of the webhook URL in status');
  }

  // An unreadable webhookFile: configured but not usable, the file named, nothing of its content.
  home.writeConfig({ alerts: { webhookFile: 'missing.url' } });
  const broken = await deep(home);
  assert.equal(broken.json.alerts?.configured, false);
  assert.match(broken.json.alerts?.error ?? '', /missing\.url/);
  assert.equal(broken.json.probes.find((p) => p.id === 'alerts')?.ok, false);
});
