// The worker's plain reading of config.json (without zod) against the full validation: whatever it
// accepts it reads exactly as the full validation does, whatever the full validation refuses it
// leaves to it (so every error is the full validation's, naming the field), and the configs it is
// there for (the defaults, the monitor's sections, an echo, command or module agent) it does read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema, loadConfig } from '../../src/gateway/config.js';
import { loadWorkerConfig, plainConfig, readPlainConfig } from '../../src/gateway/config-plain.js';
import { tempDir } from './helpers.js';

/** Read plainly, each the same as the full validation reads it. */
const PLAIN: readonly object[] = [
  {},
  { api: { port: 0 } },
  { api: { host: '::1', port: 9000 }, drain: { timeoutMs: 5 } },
  { api: { host: '10.0.0.1', allowRemote: true } },
  { api: { host: 'localhost', port: 65_535, allowRemote: false } },
  { supervisor: { standby: false } },
  { log: { maxBytes: 2048, keep: 7 } },
  { channels: [] },
  { agent: { kind: 'echo' } },
  { agent: { kind: 'echo', delayMs: 250 } },
  { agent: { kind: 'command', command: '/bin/cat' } },
  { agent: { kind: 'command', command: 'npx', args: ['--yes', 'my-agent'], timeoutMs: 5_000 } },
  { agent: { kind: 'module', module: '/srv/agent.js' } },
  { agent: { kind: 'module', module: '/srv/agent.mjs', options: { model: 'small', nested: { deep: [1, 2] } } } },
  { api: { port: 8791 }, agent: { kind: 'echo', delayMs: 0 }, drain: { timeoutMs: 0 }, supervisor: { standby: true }, log: { keep: 1 }, channels: [] },
];

/** Valid, but more than plain: the full validation reads them. */
const FULL_ONLY: readonly object[] = [
  { agent: { kind: 'openai', model: 'llama3.2' } },
  { alerts: { wedgedAfterMs: 5_000 } },
  { alerts: {} },
  { channels: [{ kind: 'telegram', allowedChats: [42] }] },
  { agent: { kind: 'module', module: '/srv/agent.js', options: JSON.parse('{"__proto__": {"x": 1}}') as object } },
];

/** Refused by the full validation, with the field it names. */
const INVALID: ReadonlyArray<[unknown, RegExp]> = [
  [{ bogus: 1 }, /bogus/],
  [[], /expected object/],
  [null, /expected object/],
  [{ api: null }, /api/],
  [{ api: { port: 2 ** 53 } }, /api\.port/],
  [{ drain: { timeoutMs: 2 ** 53 } }, /drain\.timeoutMs/],
  [{ drain: { timeoutMs: 1.5 } }, /drain\.timeoutMs/],
  [{ agent: null }, /agent/],
  [{ agent: { kind: 'echo', delayMs: -1 } }, /agent\.delayMs/],
  [{ agent: { kind: 'echo', delayMs: '5' } }, /agent\.delayMs/],
  [{ agent: { kind: 'echo', speed: 1 } }, /speed/],
  [{ agent: { kind: 'parrot' } }, /agent\.kind/],
  [{ agent: { kind: 'command' } }, /agent\.command/],
  [{ agent: { kind: 'command', command: '' } }, /agent\.command/],
  [{ agent: { kind: 'command', command: 'x', args: [1] } }, /agent\.args\.0/],
  [{ agent: { kind: 'command', command: 'x', args: 'a b' } }, /agent\.args/],
  [{ agent: { kind: 'command', command: 'x', timeoutMs: 0 } }, /agent\.timeoutMs/],
  [{ agent: { kind: 'module', module: 'agent.js' } }, /agent\.module/],
  [{ agent: { kind: 'module', module: '/srv/agent.js', options: [] } }, /agent\.options/],
  [{ channels: 'telegram' }, /channels/],
  [{ channels: {} }, /channels/],
  [{ alerts: { webhook: 'ftp://x' } }, /alerts\.webhook/],
];

/** The full validation's verdict on a value, as loadConfig gives it. */
function full(value: unknown): { ok: true; config: unknown } | { ok: false } {
  const parsed = configSchema.safeParse(value);
  return parsed.success ? { ok: true, config: parsed.data } : { ok: false };
}

/** The property: plain either leaves the value to the full validation or reads it the same. */
function assertAgrees(value: unknown, label = JSON.stringify(value)): void {
  const plain = plainConfig(value);
  const verdict = full(value);
  if (!verdict.ok) assert.equal(plain, null, `${label}: the full validation refuses it, plain must leave it to it`);
  else if (plain !== null) assert.deepEqual(plain, verdict.config, `${label}: read differently`);
}

test('the plain configs are read without the full validation, exactly as it reads them', () => {
  for (const value of PLAIN) {
    assert.notEqual(plainConfig(value), null, JSON.stringify(value));
    assertAgrees(value);
  }
});

test('valid configs that are more than plain go to the full validation', () => {
  for (const value of FULL_ONLY) {
    assert.equal(full(value).ok, true, `${JSON.stringify(value)} is valid`);
    assert.equal(plainConfig(value), null, JSON.stringify(value));
  }
});

test('an invalid config goes to the full validation, whose error names the file and the field', async (t) => {
  const file = join(tempDir(t), 'config.json');
  for (const [value, field] of INVALID) {
    assert.equal(plainConfig(value), null, JSON.stringify(value));
    writeFileSync(file, JSON.stringify(value));
    await assert.rejects(loadWorkerConfig(file), (error: Error) => error.message.includes(file) && field.test(error.message), JSON.stringify(value));
  }
  for (const text of ['', 'not json', '{"api": {"port": 8790,}}']) {
    writeFileSync(file, text);
    assert.equal(readPlainConfig(file), null, text);
    await assert.rejects(loadWorkerConfig(file), (error: Error) => error.message.includes(file), text);
  }
});

test('a missing file and a plain file read as loadConfig reads them', async (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'missing.json');
  assert.deepEqual(await loadWorkerConfig(missing), loadConfig(missing));
  const file = join(dir, 'config.json');
  for (const value of [...PLAIN, ...FULL_ONLY]) {
    writeFileSync(file, JSON.stringify(value));
    assert.deepEqual(await loadWorkerConfig(file), loadConfig(file), JSON.stringify(value));
  }
});

/** Candidate values per section: plain ones, valid ones that are not plain, and invalid ones. */
const CANDIDATES: Readonly<Record<string, readonly unknown[]>> = {
  api: [{}, { port: 0 }, { port: 65_536 }, { port: -1 }, { port: 1.5 }, { host: '' }, { host: '0.0.0.0' }, { host: '0.0.0.0', allowRemote: true }, { allowRemote: 'yes' }, { extra: 1 }, null, []],
  agent: [
    { kind: 'echo' }, { kind: 'echo', delayMs: 3 }, { kind: 'echo', delayMs: 2 ** 53 }, { kind: 'command', command: 'c', args: [] }, { kind: 'command', command: 'c', args: ['a', null] },
    { kind: 'command', command: 'c', timeoutMs: -5 }, { kind: 'module', module: '/a.js', options: { a: 1 } }, { kind: 'module', module: '/a.js', options: null },
    { kind: 'module', module: 'rel.js' }, { kind: 'openai', model: 'm' }, { kind: 'openai' }, { kind: 'echo', extra: true }, 'echo', {},
  ],
  drain: [{}, { timeoutMs: 0 }, { timeoutMs: 10 }, { timeoutMs: -1 }, { timeoutMs: '10' }, { timeout: 1 }, null],
  supervisor: [{}, { standby: true }, { standby: false }, { standby: 1 }, { standbys: true }],
  alerts: [{}, { downAfterMs: 5_000 }, { downAfterMs: 10 }, { webhook: 'http://127.0.0.1:9/x' }],
  log: [{}, { maxBytes: 1024 }, { maxBytes: 1023 }, { keep: 100 }, { keep: 101 }, { keep: 0 }, { size: 1 }],
  channels: [[], [{ kind: 'telegram' }], [{ kind: 'whatsapp' }], {}, 'none'],
  bogus: [1],
};

/** A small deterministic generator (mulberry32), so a failure can be run again from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

test('random mixes of sections: plain never reads what the full validation refuses or reads otherwise', () => {
  const seed = Number(process.env['CONFIG_PLAIN_SEED'] ?? Date.now() % 1_000_000);
  const next = random(seed);
  let plainRead = 0;
  for (let i = 0; i < 2_000; i++) {
    const value: Record<string, unknown> = {};
    for (const [section, values] of Object.entries(CANDIDATES)) {
      // Each section absent half the time (bogus mostly), else one of its candidates.
      if (next() < (section === 'bogus' ? 0.9 : 0.5)) continue;
      value[section] = values[Math.floor(next() * values.length)];
    }
    if (plainConfig(value) !== null) plainRead += 1;
    assertAgrees(value, `seed ${seed} (CONFIG_PLAIN_SEED), case ${i}: ${JSON.stringify(value)}`);
  }
  assert.ok(plainRead > 0, `seed ${seed}: some mixes are plain`);
});
