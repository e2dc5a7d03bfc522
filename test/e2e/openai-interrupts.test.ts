// A model answer interrupted at every point a gateway can be interrupted: the whole gateway
// SIGKILLed mid-stream, a stop whose drain deadline falls mid-stream, and a `gatehouse restart`
// mid-stream. Each ends with exactly one complete reply, never a half-streamed one.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { platform } from '../../src/platform/index.js';
import { killProcessTree } from '../../src/runtime/process-tree.js';
import { FakeOpenAI, answerFor } from '../agents/fake-openai.js';
import { TestHome, eventually, isAlive } from './harness.js';

async function setup(t: TestContext): Promise<{ home: TestHome; model: FakeOpenAI }> {
  const model = new FakeOpenAI();
  model.tokenDelayMs = 150; // about 2 s per answer: time to interrupt it
  await model.start();
  const home = new TestHome();
  t.after(async () => {
    await home.cleanup();
    await model.close();
  });
  home.writeConfig({ agent: { kind: 'openai', baseUrl: model.baseUrl, model: 'llama3.2' } });
  return { home, model };
}

async function exactlyOneCompleteReply(home: TestHome, id: string, text: string): Promise<void> {
  await eventually('the reply', () => home.messages().some((m) => m.reply_to === id), 30_000);
  await new Promise((r) => setTimeout(r, 300));
  const replies = home.messages().filter((m) => m.reply_to === id);
  assert.equal(replies.length, 1, 'exactly one reply');
  assert.equal(replies[0]?.text, answerFor([{ role: 'user', content: text }]), 'the complete answer');
  assert.equal(home.messages().find((m) => m.id === id)?.status, 'done');
}

test('SIGKILL of the whole gateway mid-stream: the next start asks again and stores one complete reply', async (t) => {
  const { home, model } = await setup(t);
  model.stall(1, 3); // the kill always falls mid-stream
  const monitor = await home.start();
  const id = await home.api().send('s', 'survive a crash');
  await eventually('the answer to be streaming', () => model.tokensSent >= 3);
  killProcessTree({ pid: monitor, startTime: platform.processStartTime(monitor)! }, 'SIGKILL');
  await eventually('the gateway to die', () => !isAlive(monitor));
  assert.deepEqual(home.messages().filter((m) => m.reply_to === id), [], 'nothing of the half answer was stored');
  await home.start();
  await exactlyOneCompleteReply(home, id, 'survive a crash');
  assert.equal(model.chatRequests().length, 2);
});

test('a stop whose deadline falls mid-stream leaves the message resume_pending; the next start answers it once, completely', async (t) => {
  const { home, model } = await setup(t);
  // The first answer stops after 3 tokens with the connection open (the gateway's stall limit is a
  // minute): the stop always falls mid-stream, however long a loaded machine takes to run `stop`.
  model.stall(1, 3);
  await home.start();
  const id = await home.api().send('s', 'stop me');
  await eventually('the answer to be streaming', () => model.tokensSent >= 3);
  const stop = await home.cli(['stop', '--timeout', '0.3']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(home.messages().find((m) => m.id === id)?.status, 'resume_pending');
  assert.deepEqual(home.messages().filter((m) => m.reply_to === id), []);
  await home.start();
  await exactlyOneCompleteReply(home, id, 'stop me');
  assert.equal(model.chatRequests().length, 2);
});

test('gatehouse restart mid-stream: the old worker finishes the answer, which is stored once', async (t) => {
  const { home, model } = await setup(t);
  await home.start();
  const id = await home.api().send('s', 'restart around me');
  await eventually('the answer to be streaming', () => model.tokensSent >= 3);
  const restart = await home.cli(['restart']);
  assert.equal(restart.code, 0, restart.stdout + restart.stderr);
  await exactlyOneCompleteReply(home, id, 'restart around me');
  assert.equal(model.chatRequests().length, 1, 'finished by the old worker within its drain time, not asked again');
});
