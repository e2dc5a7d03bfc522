// config.json: defaults, and clear GH_CONFIG_INVALID errors that name the file and the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiUrl, DEFAULT_CONFIG, loadConfig } from '../../src/gateway/config.js';
import { ERROR_CODES, GatehouseError } from '../../src/errors.js';
import { tempDir } from './helpers.js';

const DEFAULTS = {
  api: { host: '127.0.0.1', port: 8790, allowRemote: false },
  agent: { kind: 'echo', delayMs: 0 },
  drain: { timeoutMs: 30_000 },
  supervisor: { standby: true },
  alerts: { downAfterMs: 120_000, wedgedAfterMs: 30_000, deliveryDeadlineMs: 3_600_000, pollStaleAfterMs: 180_000 },
  channels: [],
  log: { maxBytes: 10 * 1024 * 1024, keep: 3 },
};

function configFile(t: Parameters<typeof tempDir>[0], content: string | object): string {
  const file = join(tempDir(t), 'config.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function assertInvalid(file: string, ...mentions: Array<string | RegExp>): void {
  assert.throws(() => loadConfig(file), (error: unknown) => {
    assert.ok(error instanceof GatehouseError, `a GatehouseError: ${String(error)}`);
    assert.equal(error.code, ERROR_CODES.CONFIG_INVALID);
    assert.equal(error.code, 'GH_CONFIG_INVALID');
    assert.ok(error.message.includes(file), `names the file: ${error.message}`);
    for (const m of mentions) {
      if (typeof m === 'string') assert.ok(error.message.includes(m), `mentions ${m}: ${error.message}`);
      else assert.match(error.message, m);
    }
    assert.ok(error.hint?.includes(file));
    return true;
  });
}

test('a missing config file means the defaults', (t) => {
  assert.deepEqual(loadConfig(join(tempDir(t), 'config.json')), DEFAULTS);
  assert.deepEqual(DEFAULT_CONFIG, DEFAULTS);
});

test('an empty object or a partial config is completed with defaults', (t) => {
  assert.deepEqual(loadConfig(configFile(t, {})), DEFAULTS);
  assert.deepEqual(loadConfig(configFile(t, { api: { port: 9000 }, agent: { kind: 'echo', delayMs: 5 } })), {
    ...DEFAULTS, api: { host: '127.0.0.1', port: 9000, allowRemote: false }, agent: { kind: 'echo', delayMs: 5 },
  });
});

test('an empty file and bad JSON are rejected', (t) => {
  assertInvalid(configFile(t, ''), /empty/);
  assertInvalid(configFile(t, '{"api": {"port": 8790,}}'), /not valid JSON/);
});

test('a wrong type names the field path', (t) => {
  assertInvalid(configFile(t, { api: { port: 'abc' } }), 'api.port');
  assertInvalid(configFile(t, { api: { port: 70_000 } }), 'api.port');
  assertInvalid(configFile(t, { api: { port: 1.5 } }), 'api.port');
  assertInvalid(configFile(t, { drain: { timeoutMs: -1 } }), 'drain.timeoutMs');
  assertInvalid(configFile(t, { supervisor: { standby: 'yes' } }), 'supervisor.standby');
  assertInvalid(configFile(t, { agent: { kind: 'echo', delayMs: 'soon' } }), 'agent.delayMs');
  assertInvalid(configFile(t, '[]'), /top level/);
});

test('unknown keys are rejected and named', (t) => {
  assertInvalid(configFile(t, { apii: {} }), 'apii');
  assertInvalid(configFile(t, { api: { prot: 1 } }), /api: .*prot/);
  assertInvalid(configFile(t, { agent: { kind: 'echo', command: 'x' } }), /agent: .*command/);
});

test('an unknown agent kind or a command agent without a command is rejected', (t) => {
  assertInvalid(configFile(t, { agent: { kind: 'gpt' } }), 'agent');
  assertInvalid(configFile(t, { agent: { kind: 'command' } }), 'agent.command');
  assertInvalid(configFile(t, { agent: { kind: 'command', command: '' } }), 'agent.command');
});

test('a non-loopback host needs allowRemote', (t) => {
  for (const host of ['0.0.0.0', '192.168.1.5', 'example.com', '::']) {
    assertInvalid(configFile(t, { api: { host } }), 'api.host', /loopback/);
  }
  for (const host of ['127.0.0.1', '127.8.9.10', '::1', 'localhost']) {
    assert.equal(loadConfig(configFile(t, { api: { host } })).api.host, host);
  }
  const remote = loadConfig(configFile(t, { api: { host: '0.0.0.0', allowRemote: true } }));
  assert.deepEqual(remote.api, { host: '0.0.0.0', port: 8790, allowRemote: true });
});

test('a valid command agent config gets its defaults', (t) => {
  const config = loadConfig(configFile(t, { agent: { kind: 'command', command: '/usr/bin/cat' }, drain: { timeoutMs: 0 } }));
  assert.deepEqual(config, { ...DEFAULTS, agent: { kind: 'command', command: '/usr/bin/cat', args: [], timeoutMs: 120_000 }, drain: { timeoutMs: 0 } });
  const full = loadConfig(configFile(t, { agent: { kind: 'command', command: 'bot', args: ['--x', 'a b'], timeoutMs: 500 } }));
  assert.deepEqual(full.agent, { kind: 'command', command: 'bot', args: ['--x', 'a b'], timeoutMs: 500 });
});

test('apiUrl brackets IPv6 hosts', () => {
  assert.equal(apiUrl('127.0.0.1', 8790), 'http://127.0.0.1:8790');
  assert.equal(apiUrl('::1', 80), 'http://[::1]:80');
  assert.equal(apiUrl('localhost', 1), 'http://localhost:1');
});

test('alerts: a webhook must be an http(s) URL, and webhook and webhookFile exclude each other', (t) => {
  assertInvalid(configFile(t, { alerts: { webhook: 'ftp://example.org/x' } }), 'alerts.webhook');
  assertInvalid(configFile(t, { alerts: { webhook: 'not a url' } }), 'alerts.webhook');
  assertInvalid(configFile(t, { alerts: { webhook: 'https://example.org/x', webhookFile: 'hook.url' } }), /webhook or webhookFile, not both/);
  assertInvalid(configFile(t, { alerts: { downAfterMs: 10 } }), 'alerts.downAfterMs');
  assert.equal(loadConfig(configFile(t, { alerts: { webhook: 'https://ntfy.example/', topic: 'gw' } })).alerts.topic, 'gw');
});

test('a telegram channel gets its defaults; a bad one is refused naming the field', (t) => {
  const config = loadConfig(configFile(t, { channels: [{ kind: 'telegram', allowedChats: [5, -100], adminChats: [5] }] }));
  assert.deepEqual(config.channels[0], {
    kind: 'telegram', tokenFile: 'telegram.token', apiRoot: 'https://api.telegram.org', allowedChats: [5, -100], adminChats: [5],
    catchUpMaxAgeS: 21_600, pollTimeoutS: 25, maxInFlight: 32, keepUpdates: 1_000, limits: { perChatPerS: 1, chatBurst: 3, perGroupPerMin: 20, perBotPerS: 30 },
  });
  assertInvalid(configFile(t, { channels: [{ kind: 'telegram', adminChats: [7] }] }), 'channels.0.adminChats.0', /not in allowedChats/);
  assertInvalid(configFile(t, { channels: [{ kind: 'telegram', apiRoot: 'ftp://x' }] }), 'channels.0.apiRoot');
  assertInvalid(configFile(t, { channels: [{ kind: 'telegram', allowedChats: ['me'] }] }), 'channels.0.allowedChats.0');
  assertInvalid(configFile(t, { channels: [{ kind: 'telegram', token: '1:abc' }] }), 'channels.0', /token/);
  assertInvalid(configFile(t, { channels: [{ kind: 'telegram', keepUpdates: -1 }] }), 'channels.0.keepUpdates');
  assertInvalid(configFile(t, { channels: [{ kind: 'slack' }] }), 'channels.0.kind');
  assertInvalid(configFile(t, { channels: [{ kind: 'telegram' }, { kind: 'telegram', name: 'telegram' }] }), /two channels are named "telegram"/);
});

test('alerts.pollStaleAfterMs: a default, a floor, and never shorter than a channel\'s idle long poll', (t) => {
  assert.equal(loadConfig(configFile(t, { channels: [{ kind: 'telegram' }] })).alerts.pollStaleAfterMs, 180_000);
  assertInvalid(configFile(t, { alerts: { pollStaleAfterMs: 'soon' } }), 'alerts.pollStaleAfterMs');
  assertInvalid(configFile(t, { alerts: { pollStaleAfterMs: 500 } }), 'alerts.pollStaleAfterMs');
  // pollTimeoutS 25 (the default): an idle long poll takes 25 s, so 20 s would alert on a quiet chat.
  assertInvalid(configFile(t, { alerts: { pollStaleAfterMs: 20_000 }, channels: [{ kind: 'telegram' }] }), 'alerts.pollStaleAfterMs', /channels\[0\]/, /pollTimeoutS 25/, /at least 30000/);
  assertInvalid(configFile(t, { alerts: { pollStaleAfterMs: 9_000 }, channels: [{ kind: 'telegram', pollTimeoutS: 2 }, { kind: 'telegram', pollTimeoutS: 5 }] }), /channels\[1\]/, /at least 10000/);
  assert.equal(loadConfig(configFile(t, { alerts: { pollStaleAfterMs: 10_000 }, channels: [{ kind: 'telegram', pollTimeoutS: 5 }] })).alerts.pollStaleAfterMs, 10_000);
  assert.equal(loadConfig(configFile(t, { alerts: { pollStaleAfterMs: 2_000 } })).alerts.pollStaleAfterMs, 2_000, 'no channel: nothing to compare');
});
