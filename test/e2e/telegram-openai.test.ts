// Telegram in, model out, end to end: a chat message through the fake Bot API to the fake
// OpenAI-compatible model and back, with a `gatehouse restart` while the model is streaming. The
// user sees exactly one complete answer, and the next turn carries the conversation so far.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeOpenAI, answerFor } from '../agents/fake-openai.js';
import { eventually } from './harness.js';
import { telegramGateway } from './telegram-harness.js';

const CHAT = 111;

test('Telegram -> model -> Telegram through a gatehouse restart mid-stream: one complete reply, then a turn with the history', async (t) => {
  const model = new FakeOpenAI();
  await model.start();
  t.after(() => model.close());
  model.tokenDelayMs = 150; // about 2 s per answer: time to restart in the middle
  const { home, fake } = await telegramGateway(t, {}, { agent: { kind: 'openai', baseUrl: model.baseUrl, model: 'llama3.2' } });
  await home.start();

  fake.userSays(CHAT, 'hello model');
  await eventually('the answer to be streaming', () => model.tokensSent >= 3, 30_000);
  const restart = await home.cli(['restart']);
  assert.equal(restart.code, 0, restart.stdout + restart.stderr);
  const first = answerFor([{ role: 'user', content: 'hello model' }]);
  await eventually('the reply in the chat', () => fake.sentTo(CHAT).length >= 1, 60_000);
  await sleep(1_000);
  assert.deepEqual(fake.sentTo(CHAT).map((m) => m.text), [first], 'one complete reply, delivered once');
  assert.equal(model.chatRequests().length, 1, 'the old worker finished the answer; the model was not asked twice');

  // The new worker answers the next turn with the conversation so far.
  fake.userSays(CHAT, 'and again');
  const history = [{ role: 'user', content: 'hello model' }, { role: 'assistant', content: first }, { role: 'user', content: 'and again' }];
  await eventually('the second reply', () => fake.sentTo(CHAT).length >= 2, 60_000);
  await sleep(500);
  assert.deepEqual(fake.sentTo(CHAT).map((m) => m.text), [first, answerFor(history)]);
  assert.deepEqual(model.chatRequests().at(-1)?.body?.messages, history);
});
