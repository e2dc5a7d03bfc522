// status --deep's agent probe against the fake model server: PASS with latency when the model is
// served; FAIL with a hint when the model is missing, the key refused, or nothing listens.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { agentProbe } from '../../src/control/agent-probe.js';
import { profilePaths } from '../../src/paths.js';
import { tempDir } from '../unit/helpers.js';
import { FakeOpenAI } from './fake-openai.js';

function profile(t: TestContext, agent: Record<string, unknown>) {
  const paths = profilePaths('default', { GATEHOUSE_HOME: tempDir(t) });
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, JSON.stringify({ agent }));
  return paths;
}

async function fake(t: TestContext): Promise<FakeOpenAI> {
  const server = new FakeOpenAI();
  await server.start();
  t.after(() => server.close());
  return server;
}

test('PASS: the server answers and serves the model, with its latency', async (t) => {
  const server = await fake(t);
  const probe = await agentProbe(profile(t, { kind: 'openai', baseUrl: server.baseUrl, model: 'llama3.2' }), {});
  assert.equal(probe.ok, true, probe.detail);
  assert.match(probe.detail, /answered in \d+ ms; model "llama3.2" is served/);
  assert.equal(server.requests.at(-1)?.path, '/v1/models');
});

test('FAIL: a model the server does not have, listing what it has', async (t) => {
  const server = await fake(t);
  server.models.add('qwen2.5');
  const probe = await agentProbe(profile(t, { kind: 'openai', baseUrl: server.baseUrl, model: 'mistral' }), {});
  assert.equal(probe.ok, false);
  assert.match(probe.detail, /no model "mistral" \(it has: llama3.2, qwen2.5\)/);
  assert.match(probe.hint ?? '', /agent\.model/);
});

test('FAIL: a refused key names where it came from, never the key', async (t) => {
  const server = await fake(t);
  server.apiKey = 'sk-right';
  const probe = await agentProbe(profile(t, { kind: 'openai', baseUrl: server.baseUrl, model: 'llama3.2' }), { OPENAI_API_KEY: 'sk-wrong-key' });
  assert.equal(probe.ok, false);
  assert.match(probe.detail, /refused the API key \(401\)/);
  assert.match(probe.hint ?? '', /OPENAI_API_KEY/);
  assert.ok(!JSON.stringify(probe).includes('sk-wrong-key'));
});

test('FAIL: nothing listening, with the hint for the server usually found there', async (t) => {
  const server = await fake(t);
  const closedUrl = server.baseUrl;
  await server.close();
  const probe = await agentProbe(profile(t, { kind: 'openai', baseUrl: closedUrl, model: 'llama3.2' }), {});
  assert.equal(probe.ok, false);
  assert.match(probe.detail, /cannot reach the model server at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  assert.match(probe.hint ?? '', /is the model server at 127\.0\.0\.1:\d+ running\?/);
});

test('FAIL: Ollama\'s port with nothing on it says "Ollama not running"', async (t) => {
  if (await listening(11434)) return t.skip('something listens on 127.0.0.1:11434 here');
  const probe = await agentProbe(profile(t, { kind: 'openai', model: 'llama3.2' }), {});
  assert.equal(probe.ok, false);
  assert.equal(probe.hint, 'Ollama not running at 127.0.0.1:11434? start it with `ollama serve`');
});

test('other kinds have nothing to probe; a broken config or a missing key file is a FAIL naming the file', async (t) => {
  assert.deepEqual(await agentProbe(profile(t, { kind: 'echo' }), {}), { id: 'agent', ok: true, detail: 'echo agent: no model server to ask' });
  const broken = await agentProbe(profile(t, { kind: 'openai' }), {});
  assert.equal(broken.ok, false);
  assert.match(broken.detail, /agent\.model/);
  const noKey = await agentProbe(profile(t, { kind: 'openai', model: 'm', apiKeyFile: 'gone.key' }), {});
  assert.match(noKey.detail, /cannot read agent\.apiKeyFile .*gone\.key/);
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
