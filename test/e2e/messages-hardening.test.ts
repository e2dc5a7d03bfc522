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

interface PostAnswer { status: number; replayed: string | null; body: { messageId?: string; error?: { code: string; message: string } } }

async function post(home: TestHome, session: string, text: string, key: string): Promise<PostAnswer> {
  const response = await fetch(`${home.apiUrl()}/v1/sessions/${session}/messages`, {
    method: 'POST', body: JSON.stringify({ text }), signal: AbortSignal.timeout(10_000),
    headers: { authorization: `Bearer ${home.token()}`, 'content-type': 'application/json', 'idempotency-key': key },
  });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), body: (await response.json()) as PostAnswer['body'] };
}

test('a POST retried with the same Idempotency-Key is stored once, across worker and full restarts', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  const first = await post(home, 's', 'hello', 'key-1');
  assert.deepEqual([first.status, first.replayed], [202, null]);
  const id = first.body.messageId;
  assert.match(id ?? '', /^msg_/);
  const replay = async (when: string): Promise<void> => {
    const again = await post(home, 's', 'hello', 'key-1');
    assert.deepEqual([again.status, again.replayed, again.body.messageId], [202, 'true', id], when);
  };
  await replay('at once');
  assert.equal((await home.cli(['restart'])).code, 0);
  await replay('after a worker restart');
  assert.equal((await home.cli(['restart', '--full'])).code, 0);
  await replay('after a full restart');
  assert.equal((await home.cli(['stop'])).code, 0);
  await home.start();
  await replay('after stop and start');
  // The same key with another text is a client bug: refused, nothing stored.
  const misuse = await post(home, 's', 'something else', 'key-1');
  assert.equal(misuse.status, 422);
  assert.equal(misuse.body.error?.code, 'idempotency_key_reused');
  assert.match(misuse.body.error?.message ?? '', new RegExp(id ?? 'no id'));
  // Keys are per session: the same key in another session is a new message.
  const other = await post(home, 'other', 'hello', 'key-1');
  assert.equal(other.status, 202);
  assert.notEqual(other.body.messageId, id);
  const bad = await post(home, 's', 'hello', 'x'.repeat(256));
  assert.deepEqual([bad.status, bad.body.error?.code], [400, 'bad_idempotency_key']);
  // `gatehouse send` uses a fresh key per invocation: the same text twice is two messages.
  const sends = [await home.cli(['send', 's', 'twice']), await home.cli(['send', 's', 'twice'])];
  assert.deepEqual(sends.map((r) => r.code), [0, 0], sends.map((r) => r.stderr).join(''));
  assert.notEqual(sends[0]?.stdout.trim(), sends[1]?.stdout.trim());
  await eventually('all answered', () => home.messages().filter((m) => m.role === 'user' && m.status !== 'done').length === 0);
  const users = home.messages().filter((m) => m.role === 'user');
  assert.deepEqual(users.map((m) => `${m.session_id}:${m.text}`), ['s:hello', 'other:hello', 's:twice', 's:twice']);
  assert.equal(home.messages().filter((m) => m.reply_to === id).length, 1, 'answered once');
});
