// The openai agent's configuration and its API key: defaults, clear errors naming the field or the
// file, a key file that must be the user's and private, and the environment standing in for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/gateway/config.js';
import { readApiKey } from '../../src/gateway/agents/api-key.js';
import { tempDir } from '../unit/helpers.js';

function load(dir: string, agent: unknown) {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ agent }));
  return loadConfig(file);
}

function loadError(dir: string, agent: unknown): string {
  try {
    load(dir, agent);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

test('the issue\'s shape validates, with defaults for everything else', (t) => {
  const dir = tempDir(t);
  const config = load(dir, { kind: 'openai', baseUrl: 'http://127.0.0.1:11434/v1/', model: 'llama3.2', apiKeyFile: 'openai.key', systemPrompt: 'You are terse.' });
  assert.deepEqual(config.agent, {
    kind: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.2', apiKeyFile: 'openai.key', systemPrompt: 'You are terse.',
    history: { maxMessages: 40, maxChars: 24_000 }, stream: true, firstTokenTimeoutMs: 180_000, stallTimeoutMs: 60_000, maxRetries: 4, concurrency: 1,
  });
  const { apiKeyFile: _unset, ...rest } = config.agent as Record<string, unknown>;
  assert.deepEqual(load(dir, { kind: 'openai', model: 'm' }).agent, { ...rest, model: 'm', systemPrompt: '' });
});

test('bad openai settings are refused naming the field', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'config.json');
  assert.match(loadError(dir, { kind: 'openai' }), new RegExp(`invalid configuration in ${file}: agent\\.model`));
  assert.match(loadError(dir, { kind: 'openai', model: 'm', baseUrl: 'localhost:11434' }), /agent\.baseUrl: must be http:\/\/ or https:\/\//);
  assert.match(loadError(dir, { kind: 'openai', model: 'm', baseUrl: 'not a url' }), /agent\.baseUrl: not a URL/);
  assert.match(loadError(dir, { kind: 'openai', model: 'm', baseUrl: 'https://me:sk-123@api.example/v1' }), /agent\.baseUrl: must not contain credentials/);
  assert.match(loadError(dir, { kind: 'openai', model: 'm', temperature: 3 }), /agent\.temperature/);
  assert.match(loadError(dir, { kind: 'openai', model: 'm', concurrency: 0 }), /agent\.concurrency/);
  assert.match(loadError(dir, { kind: 'openai', model: 'm', history: { maxTurns: 3 } }), /agent\.history/);
  assert.match(loadError(dir, { kind: 'openai', model: 'm', apiKey: 'sk-inline' }), /agent: Unrecognized key: "apiKey"/);
  assert.ok(!loadError(dir, { kind: 'openai', model: 'm', apiKey: 'sk-inline' }).includes('sk-inline'), 'a key put into config.json is not repeated');
});

test('the key file: relative to the profile, trimmed, fixed to 600 when others could read it', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'openai.key'), 'sk-abc\n', { mode: 0o644 });
  chmodSync(join(dir, 'openai.key'), 0o644);
  const read = readApiKey('openai.key', dir, {});
  assert.deepEqual({ key: read.key, source: read.source }, { key: 'sk-abc', source: join(dir, 'openai.key') });
  if (process.platform !== 'win32') {
    assert.match(read.note ?? '', /readable by others \(mode 644\); set it to 600/);
    assert.equal(statSync(join(dir, 'openai.key')).mode & 0o777, 0o600);
    assert.equal(readApiKey('openai.key', dir, {}).note, null);
  }
});

test('a missing, empty or multi-word key file is a clear error naming it; the environment stands in only without a file', (t) => {
  const dir = tempDir(t);
  assert.throws(() => readApiKey('missing.key', dir, {}), (e: Error & { code?: string }) => e.code === 'GH_CONFIG_INVALID' && e.message.includes(join(dir, 'missing.key')));
  writeFileSync(join(dir, 'empty.key'), '\n', { mode: 0o600 });
  assert.throws(() => readApiKey('empty.key', dir, {}), /empty\.key is empty/);
  writeFileSync(join(dir, 'two.key'), 'sk-one sk-two', { mode: 0o600 });
  assert.throws(() => readApiKey('two.key', dir, {}), (e: Error) => /does not hold one key/.test(e.message) && !e.message.includes('sk-one'));
  assert.deepEqual(readApiKey(undefined, dir, { OPENAI_API_KEY: ' sk-env ' }), { key: 'sk-env', source: 'OPENAI_API_KEY', note: null });
  assert.deepEqual(readApiKey(undefined, dir, {}), { key: null, source: null, note: null });
  writeFileSync(join(dir, 'file.key'), 'sk-file', { mode: 0o600 });
  assert.equal(readApiKey('file.key', dir, { OPENAI_API_KEY: 'sk-env' }).key, 'sk-file', 'the configured file wins');
});
