// The openai agent in-process against the stateful fake server: what it sends (system prompt,
// history within budget, key, stream), what it returns (only complete answers), which failures it
// retries (429 with Retry-After, 5xx, a stalled or cut stream, a refused connection) and which it
// reports at once (401, unknown model, context too long), with the key never in any of it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import pino from 'pino';
import { OpenAIAgent } from '../../src/gateway/agents/openai.js';
import { openaiAgentSchema } from '../../src/gateway/agents/openai-config.js';
import type { AgentMessage, AgentReply } from '../../src/gateway/agents/types.js';
import { FakeOpenAI, answerFor } from './fake-openai.js';

const KEY = 'sk-test-0123456789abcdef';

function logger(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino({ level: 'debug' }, { write: (line: string) => { lines.push(line); } }), lines };
}

async function fake(t: TestContext): Promise<FakeOpenAI> {
  const server = new FakeOpenAI();
  await server.start();
  t.after(() => server.close());
  return server;
}

function agentFor(server: FakeOpenAI | string, config: Record<string, unknown> = {}, key: string | null = null) {
  const baseUrl = typeof server === 'string' ? server : server.baseUrl;
  const parsed = openaiAgentSchema.parse({ kind: 'openai', baseUrl, model: 'llama3.2', ...config });
  const { log, lines } = logger();
  const agent = new OpenAIAgent(parsed, { key, source: key === null ? null : '/profile/openai.key', note: null }, log, { random: () => 0.5, baseDelayMs: 20 });
  return { agent, lines };
}

async function ask(agent: OpenAIAgent, text: string, history: AgentMessage[] = [], signal = new AbortController().signal): Promise<{ reply: AgentReply; activity: number }> {
  let activity = 0;
  const reply = await agent.reply({ sessionId: 's', messageId: 'm', text, history, signal, onActivity: () => { activity += 1; } });
  return { reply, activity };
}

const turns = (...texts: string[]): AgentMessage[] => texts.map((text, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', text }));

test('a streamed answer: system prompt, history, message, model and key are sent; the whole answer comes back', async (t) => {
  const server = await fake(t);
  server.apiKey = KEY;
  const { agent } = agentFor(server, { systemPrompt: 'Be brief.', temperature: 0.2, maxTokens: 50 }, KEY);
  const { reply, activity } = await ask(agent, 'and now?', turns('hi', 'hello'));
  const [request] = server.chatRequests();
  assert.equal(request?.authorization, `Bearer ${KEY}`);
  assert.deepEqual(request?.body, {
    model: 'llama3.2', stream: true, temperature: 0.2, max_tokens: 50,
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'and now?' }],
  });
  assert.deepEqual(reply, { ok: true, text: answerFor(request!.body!.messages), error: null });
  assert.ok(activity >= 5, `onActivity is called per token (${activity})`);
});

test('no key configured: no Authorization header; no system prompt: none sent', async (t) => {
  const server = await fake(t);
  const { agent } = agentFor(server);
  const { reply } = await ask(agent, 'x');
  assert.equal(reply.ok, true);
  const [request] = server.chatRequests();
  assert.equal(request?.authorization, undefined);
  assert.deepEqual(request?.body?.messages, [{ role: 'user', content: 'x' }]);
});

test('history is trimmed to the budget, whole turns, oldest first; the current message always goes', async (t) => {
  const server = await fake(t);
  const history = turns('q1', 'a1', 'q2', 'a2', 'q3', 'a3');
  await ask(agentFor(server, { history: { maxMessages: 4, maxChars: 10_000 } }).agent, 'now', history);
  await ask(agentFor(server, { history: { maxMessages: 40, maxChars: 9 } }).agent, 'now', turns('long question', 'long answer', 'q3', 'a3'));
  await ask(agentFor(server, { history: { maxMessages: 0, maxChars: 0 } }).agent, 'a message longer than any budget', history);
  const sent = server.chatRequests().map((r) => r.body!.messages.map((m) => m.content));
  assert.deepEqual(sent, [['q2', 'a2', 'q3', 'a3', 'now'], ['q3', 'a3', 'now'], ['a message longer than any budget']]);
});

test('a stream that stalls mid-answer is abandoned after stallTimeoutMs and asked again; only the complete answer is returned', async (t) => {
  const server = await fake(t);
  server.stall(1, 3);
  const { agent, lines } = agentFor(server, { stallTimeoutMs: 300 });
  const { reply } = await ask(agent, 'stall please');
  assert.equal(server.chatRequests().length, 2);
  assert.deepEqual(reply, { ok: true, text: answerFor([{ role: 'user', content: 'stall please' }]), error: null });
  assert.ok(lines.some((l) => l.includes('"code":"stalled"')), 'the stall is logged as the reason to retry');
});

test('a model that never starts answering is abandoned after firstTokenTimeoutMs', async (t) => {
  const server = await fake(t);
  server.stall(5, 0);
  const { agent } = agentFor(server, { firstTokenTimeoutMs: 200, stallTimeoutMs: 10_000, maxRetries: 1 });
  const { reply } = await ask(agent, 'hello?');
  assert.equal(reply.ok, false);
  assert.match(reply.error ?? '', /no token for 0 s.*gave up after 2 attempts/);
  assert.equal(server.chatRequests().length, 2);
});

test('a connection cut mid-stream is asked again; a half answer is never returned', async (t) => {
  const server = await fake(t);
  server.cut(2, 4);
  const { agent } = agentFor(server);
  const { reply } = await ask(agent, 'cut');
  assert.equal(server.chatRequests().length, 3);
  assert.equal(reply.text, answerFor([{ role: 'user', content: 'cut' }]));
});

test('429 waits at least Retry-After, then succeeds', async (t) => {
  const server = await fake(t);
  server.overload(1, 1);
  const { agent } = agentFor(server);
  const { reply } = await ask(agent, 'busy?');
  assert.equal(reply.ok, true);
  const [first, second] = server.chatRequests();
  assert.ok(second!.at - first!.at >= 950, `waited ${second!.at - first!.at} ms for Retry-After: 1`);
});

test('5xx is retried with backoff up to maxRetries, then fails saying so', async (t) => {
  const server = await fake(t);
  server.fail(2, 502);
  const ok = await ask(agentFor(server).agent, 'flaky');
  assert.equal(ok.reply.ok, true);
  assert.equal(server.chatRequests().length, 3);
  server.fail(10, 500);
  const { reply } = await ask(agentFor(server, { maxRetries: 2 }).agent, 'down');
  assert.equal(reply.ok, false);
  assert.match(reply.error ?? '', /the model server failed \(500\): the model runner crashed \(gave up after 3 attempts\)/);
  assert.equal(server.chatRequests().length, 6);
});

test('401 fails at once, names where the key came from, and never shows the key (not in the error, not in the log)', async (t) => {
  const server = await fake(t);
  server.apiKey = 'sk-the-right-one';
  const { agent, lines } = agentFor(server, {}, KEY);
  const { reply } = await ask(agent, 'let me in');
  assert.equal(server.chatRequests().length, 1, 'not retried');
  assert.equal(reply.ok, false);
  assert.match(reply.error ?? '', /refused the API key \(401\).*\[redacted\].*check the key in \/profile\/openai\.key/);
  assert.ok(!(reply.error ?? '').includes(KEY));
  assert.ok(!lines.join('').includes(KEY));
});

test('an unknown model and a conversation too long for the context fail at once with what to do', async (t) => {
  const server = await fake(t);
  const missing = await ask(agentFor(server, { model: 'nope' }).agent, 'hi');
  assert.match(missing.reply.error ?? '', /no model "nope" \(404\).*ollama pull nope/);
  server.contextChars = 20;
  const long = await ask(agentFor(server).agent, 'this message is longer than the window');
  assert.match(long.reply.error ?? '', /too long for the model \(400\).*send \/new/);
  assert.equal(server.chatRequests().length, 2, 'neither is retried');
});

test('a wrong baseUrl (no chat-completions endpoint) is said so', async (t) => {
  const server = await fake(t);
  const { reply } = await ask(agentFor(server.baseUrl.replace(/\/v1$/, '/api')).agent, 'hi');
  assert.match(reply.error ?? '', /no chat-completions endpoint at .*\/api\/chat\/completions \(404\).*usually ends in \/v1/);
});

test('nothing listening: retried, then a clear error naming the address', async (t) => {
  const port = await freePort();
  const { agent } = agentFor(`http://127.0.0.1:${port}/v1`, { maxRetries: 1 });
  const { reply } = await ask(agent, 'anyone?');
  assert.match(reply.error ?? '', new RegExp(`cannot reach the model server at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\).*gave up after 2 attempts`));
});

test('stream: false asks for one JSON answer and gets the same complete text', async (t) => {
  const server = await fake(t);
  const { reply } = await ask(agentFor(server, { stream: false }).agent, 'whole');
  assert.equal(server.chatRequests()[0]?.body?.stream, false);
  assert.equal(reply.text, answerFor([{ role: 'user', content: 'whole' }]));
});

test('the drain deadline (abort) ends a call at once, without retrying and without an answer', async (t) => {
  const server = await fake(t);
  server.tokenDelayMs = 200;
  const { agent } = agentFor(server);
  const controller = new AbortController();
  const call = ask(agent, 'slow', [], controller.signal);
  while (server.tokensSent < 2) await new Promise((r) => setTimeout(r, 10));
  controller.abort(new Error('drain deadline reached'));
  await assert.rejects(call, /drain deadline reached/);
  assert.equal(server.chatRequests().length, 1);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
