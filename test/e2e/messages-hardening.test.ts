// Messages across restarts (issue 12): only an attempt that started and was cut counts against the
// interruption limit, and a POST retried with the same Idempotency-Key stores one message, however
// the gateway was restarted in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestHome, eventually } from './harness.js';

const RESTARTS = 4;
const RESTART_GAP_MS = 3_000;

test('queued messages are not failed by restarts they never ran into: each is answered once', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  // A slow agent and a short drain: every restart cuts the message in flight, the rest wait queued.
  home.writeConfig({ agent: { kind: 'echo', delayMs: 1_000 }, drain: { timeoutMs: 1_000 } });
  await home.start();
  const api = home.api();
  const ids: string[] = [];
  for (let i = 0; i < 20; i += 1) ids.push(await api.send('one', `m${i}`));
  for (let i = 0; i < RESTARTS; i += 1) {
    await sleep(RESTART_GAP_MS);
    const restart = await home.cli(['restart']);
    assert.equal(restart.code, 0, restart.stdout + restart.stderr);
  }
  await eventually('every message closed', () => home.messages().filter((m) => m.role === 'user' && ['queued', 'processing', 'resume_pending'].includes(m.status)).length === 0, 90_000);
  const users = home.messages().filter((m) => m.role === 'user');
  const replies = home.messages().filter((m) => m.role === 'assistant');
  assert.deepEqual(users.filter((m) => m.status !== 'done').map((m) => `${m.text}: ${m.status}`), []);
  assert.deepEqual(users.map((m) => m.id).sort(), [...ids].sort());
  assert.deepEqual(replies.map((r) => r.reply_to).sort(), [...ids].sort(), 'each answered exactly once');
  // The restarts did cut work in flight: the limit is still exercised, on attempts that ran.
  assert.ok(home.lifecycle().some((e) => e.event === 'resume'), 'some messages were resumed');
});
