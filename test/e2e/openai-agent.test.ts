// A real gateway answering with the openai agent against the stateful fake model server: the
// conversation it sends, /new, a stalled stream retried to a complete stored reply, a SIGKILL of the
// worker mid-stream ending with exactly one complete reply, and failures (401, a missing key file)
// reaching the user without the key showing anywhere.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NEW_CONTEXT_REPLY } from '../../src/gateway/dispatcher.js';
import { FakeOpenAI, answerFor } from '../agents/fake-openai.js';
import { TestHome, eventually, isAlive, workerPid } from './harness.js';

const KEY = 'sk-e2e-secret-4242';

async function setup(t: TestContext, agent: Record<string, unknown> = {}): Promise<{ home: TestHome; model: FakeOpenAI }> {
  const model = new FakeOpenAI();
  await model.start();
  const home = new TestHome();
  t.after(async () => {
    await home.cleanup();
    await model.close();
  });
  home.writeConfig({ agent: { kind: 'openai', baseUrl: model.baseUrl, model: 'llama3.2', systemPrompt: 'Be kind.', ...agent } });
  return { home, model };
}

function repliesTo(home: TestHome, id: string): Array<{ text: string }> {
  return home.messages().filter((m) => m.reply_to === id);
}

test('a conversation: each request carries the system prompt and the earlier turns; /new starts afresh; a stalled stream is retried and the stored reply is complete', async (t) => {
  const { home, model } = await setup(t, { stallTimeoutMs: 500 });
  await home.start();
  const api = home.api();
  const first = await api.send('chat', 'my name is Ada');
  assert.equal((await api.waitForReply('chat', first, 20_000))?.text, answerFor([{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'my name is Ada' }]));
  model.stall(1, 4); // the next answer hangs after four tokens
  const second = await api.send('chat', 'what is my name?');
  const reply = await api.waitForReply('chat', second, 30_000);
  const sent = model.chatRequests().at(-1)!.body!.messages;
  assert.deepEqual(sent.map((m) => [m.role, m.content]), [
    ['system', 'Be kind.'], ['user', 'my name is Ada'], ['assistant', answerFor([{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'my name is Ada' }])], ['user', 'what is my name?'],
  ]);
  assert.equal(reply?.text, answerFor(sent), 'the complete answer, not the four tokens before the stall');
  assert.equal(model.chatRequests().length, 3, 'the stalled call was asked again once');
  const reset = await api.newContext('chat');
  assert.equal((await api.waitForReply('chat', reset, 10_000))?.text, NEW_CONTEXT_REPLY);
  const third = await api.send('chat', 'who am I?');
  await api.waitForReply('chat', third, 20_000);
  assert.deepEqual(model.chatRequests().at(-1)!.body!.messages.map((m) => m.content), ['Be kind.', 'who am I?'], 'nothing before /new');
  assert.equal(model.chatRequests().length, 4, '/new itself is not sent to the model');
  const session = await api.session('chat');
  assert.equal(session.messages.length, 8, 'every message stays stored');
  const status = JSON.parse((await home.cli(['status', '--deep', '--json'])).stdout) as { probes: Array<{ id: string; ok: boolean; detail: string }> };
  const probe = status.probes.find((p) => p.id === 'agent');
  assert.equal(probe?.ok, true, JSON.stringify(probe));
  assert.match(probe?.detail ?? '', /model "llama3.2" is served/);
});

test('SIGKILL of the worker mid-stream: after the respawn the message is asked again and ends with exactly one complete reply', async (t) => {
  const { home, model } = await setup(t);
  model.tokenDelayMs = 150;
  const monitor = await home.start();
  const worker = workerPid(home);
  const id = await home.api().send('crashy', 'a long answer please');
  await eventually('the answer to be streaming', () => model.tokensSent >= 3);
  process.kill(worker, 'SIGKILL');
  await eventually('a new worker', () => { try { return workerPid(home) !== worker; } catch { return false; } });
  assert.ok(isAlive(monitor));
  await eventually('the reply', () => repliesTo(home, id).length >= 1, 30_000);
  await new Promise((r) => setTimeout(r, 300));
  const replies = repliesTo(home, id);
  assert.equal(replies.length, 1, 'exactly one reply');
  assert.equal(replies[0]?.text, answerFor([{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'a long answer please' }]));
  assert.equal(model.chatRequests().length, 2, 'asked once by each worker');
  assert.equal(home.messages().find((m) => m.id === id)?.status, 'done');
});

test('a refused key fails the message with a clear error in the API and in send --wait; the key is in no log, error or status', async (t) => {
  const { home, model } = await setup(t, { apiKeyFile: 'openai.key' });
  model.apiKey = 'sk-the-right-key';
  const missing = await home.cli(['start']);
  assert.equal(missing.code, 78, missing.stdout + missing.stderr);
  assert.match(missing.stdout + missing.stderr, /agent\.apiKeyFile .*openai\.key/);
  writeFileSync(join(home.paths().dir, 'openai.key'), `${KEY}\n`, { mode: 0o600 });
  await home.start();
  const wait = await home.cli(['send', 'chat', 'hello', '--wait']);
  assert.notEqual(wait.code, 0);
  assert.match(wait.stdout + wait.stderr, /refused the API key \(401\)/);
  const session = await home.api().session('chat');
  const failed = session.messages.find((m) => m.role === 'user');
  assert.equal(failed?.status, 'failed');
  assert.match(failed?.error ?? '', /refused the API key \(401\).*check the key in .*openai\.key/);
  assert.equal(model.chatRequests().length, 1, '401 is not retried');
  assert.equal(model.chatRequests()[0]?.authorization, `Bearer ${KEY}`);
  const status = await home.cli(['status', '--deep', '--json']);
  const everything = [wait.stdout, wait.stderr, JSON.stringify(session), status.stdout, status.stderr, readFileSync(home.paths().gatewayLog, 'utf8')].join('\n');
  assert.ok(!everything.includes(KEY), 'the key leaked');
});
