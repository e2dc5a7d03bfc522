// The monitor's config reading without zod and the gateway's JSON-line log: the same decisions and
// the same records as the full validation and pino.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/gateway/config.js';
import { loadMonitorConfig, readMonitorConfig } from '../../src/gateway/config-core.js';
import { createJsonLog } from '../../src/runtime/json-log.js';
import pino from 'pino';
import { descriptorSink, GatewayLog } from '../../src/runtime/log-sink.js';
import { tempDir } from './helpers.js';

test('a plainly valid api/drain/supervisor section is read as the full validation reads it', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'config.json');
  for (const config of [{}, { api: { port: 0 } }, { api: { host: '::1', port: 9000 }, drain: { timeoutMs: 5 } }, { api: { host: '10.0.0.1', allowRemote: true }, agent: { kind: 'echo' } }, { supervisor: { standby: false } }, { supervisor: {} }, { log: { maxBytes: 4096 } }, { log: { maxBytes: 2048, keep: 7 } }]) {
    writeFileSync(file, JSON.stringify(config));
    const full = loadConfig(file);
    assert.deepEqual(readMonitorConfig(file), { api: full.api, drain: full.drain, supervisor: full.supervisor, alerts: full.alerts, log: full.log }, JSON.stringify(config));
  }
  const missing = loadConfig(join(dir, 'missing.json'));
  assert.deepEqual(readMonitorConfig(join(dir, 'missing.json')), { api: missing.api, drain: missing.drain, supervisor: missing.supervisor, alerts: missing.alerts, log: missing.log });
  // An alerts section (webhook URLs) is the full validation's to judge, and the monitor gets its result.
  writeFileSync(file, JSON.stringify({ alerts: { wedgedAfterMs: 5_000 } }));
  assert.equal(readMonitorConfig(file), null);
});

test('a config with an alerts section is read by the full validation', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ alerts: { wedgedAfterMs: 5_000 } }));
  assert.equal((await loadMonitorConfig(file)).alerts.wedgedAfterMs, 5_000);
});

test('anything else goes to the full validation, which names the file and the field', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'config.json');
  const cases: Array<[string, RegExp]> = [
    ['{"api": {"port": "80"}}', /api\.port/],
    ['{"api": {"port": 70000}}', /api\.port/],
    ['{"api": {"host": "0.0.0.0"}}', /api\.host.*loopback/],
    ['{"api": {"bogus": 1}}', /bogus/],
    ['{"drain": {"timeoutMs": -1}}', /drain\.timeoutMs/],
    ['{"supervisor": {"standby": "yes"}}', /supervisor\.standby/],
    ['{"supervisor": {"standbys": true}}', /standbys/],
    ['{"log": {"maxBytes": 100}}', /log\.maxBytes/],
    ['{"log": {"keep": 0}}', /log\.keep/],
    ['{"log": {"keep": 2.5}}', /log\.keep/],
    ['{"log": {"size": 1}}', /size/],
    ['not json', /not valid JSON/],
  ];
  for (const [text, field] of cases) {
    writeFileSync(file, text);
    assert.equal(readMonitorConfig(file), null, text);
    await assert.rejects(loadMonitorConfig(file), (error: Error) => error.message.includes(file) && field.test(error.message), text);
  }
});

test('the gateway log writes the record pino writes for the same call', (t) => {
  const dir = tempDir(t);
  const ours = join(dir, 'ours.log');
  const theirs = join(dir, 'pino.log');
  const boom = new RangeError('boom'); // one error, so both records carry the same stack
  const calls = (log: { info: (...a: never[]) => void; error: (...a: never[]) => void; warn: (...a: never[]) => void }): void => {
    (log.info as (m: string) => void)('plain message');
    (log.warn as (f: object, m: string) => void)({ workerPid: 12, nested: { a: [1, 'x'] }, none: undefined }, 'with fields');
    (log.error as (f: object, m: string) => void)({ err: boom }, 'an error');
  };
  calls(createJsonLog({ sink: new GatewayLog(ours, { echo: false }), role: 'monitor' }));
  // pino as the worker used it: its records are the shape every reader of the log expects.
  calls(pino({ base: { pid: process.pid, role: 'monitor' }, timestamp: pino.stdTimeFunctions.epochTime }, pino.destination({ dest: theirs, sync: true })));
  const read = (file: string): Array<Record<string, unknown>> => readFileSync(file, 'utf8').trim().split('\n').map((l) => {
    const record = JSON.parse(l) as Record<string, unknown>;
    delete record['time'];
    return record;
  });
  assert.deepEqual(read(ours), read(theirs));
  const keys = readFileSync(ours, 'utf8').split('\n')[0]!;
  assert.match(keys, /^\{"level":30,"time":\d+,"pid":\d+,"role":"monitor","msg":"plain message"\}$/);
});

test('a logged value with a cycle or a BigInt is written, not thrown', (t) => {
  const file = join(tempDir(t), 'cycle.log');
  const looped: Record<string, unknown> = { name: 'a' };
  looped['self'] = looped;
  const log = createJsonLog({ sink: new GatewayLog(file, { echo: false }), role: 'worker' });
  log.warn({ looped, big: 12n }, 'odd fields');
  const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual([record['looped'], record['big'], record['msg']], [{ name: 'a', self: '[Circular]' }, '12', 'odd fields']);
});

test("the worker's sink writes each line to its descriptor before it returns", (t) => {
  const file = join(tempDir(t), 'fd.log');
  const fd = openSync(file, 'w');
  t.after(() => closeSync(fd));
  const log = createJsonLog({ sink: descriptorSink(fd), role: 'worker' });
  log.info({ n: 1 }, 'first');
  assert.match(readFileSync(file, 'utf8'), /^\{"level":30,"time":\d+,"pid":\d+,"role":"worker","n":1,"msg":"first"\}\n$/);
  log.error('second');
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 3);
});
