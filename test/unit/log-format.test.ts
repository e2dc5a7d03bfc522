// Turning pino JSON lines into readable ones; other lines pass through unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogLine, parseLogLine } from '../../src/log-format.js';

const TIME = Date.UTC(2026, 10, 23, 20, 0, 0, 0);

test('a pino line becomes "time LEVEL role: msg key=value"', () => {
  const line = JSON.stringify({ level: 30, time: TIME, pid: 42, hostname: 'h', role: 'monitor', msg: 'gateway ready', api: 'http://127.0.0.1:8790', workerPid: 43 });
  assert.equal(formatLogLine(line), '2026-11-23T20:00:00.000Z INFO  monitor: gateway ready api=http://127.0.0.1:8790 workerPid=43');
});

test('levels are named and padded; objects are JSON; no role, no extras', () => {
  const warn = JSON.stringify({ level: 40, time: TIME, msg: 'careful', v: 1 });
  assert.equal(formatLogLine(warn), '2026-11-23T20:00:00.000Z WARN  careful');
  const error = JSON.stringify({ level: 50, time: TIME, role: 'worker', msg: 'boom', err: { message: 'x', code: 'E' }, n: null });
  assert.equal(formatLogLine(error), '2026-11-23T20:00:00.000Z ERROR worker: boom err={"message":"x","code":"E"} n=null');
  const odd = JSON.stringify({ level: 35, time: TIME, msg: 'm' });
  assert.equal(formatLogLine(odd), '2026-11-23T20:00:00.000Z 35    m');
  const fatal = JSON.stringify({ level: 60, time: TIME, msg: 'dead' });
  assert.equal(formatLogLine(fatal), '2026-11-23T20:00:00.000Z FATAL dead');
});

test('a raw line (crash trace, non-pino JSON, broken JSON) passes through unchanged', () => {
  for (const raw of [
    'Error: boom',
    '    at Object.<anonymous> (/x/y.js:1:1)',
    '',
    '{"level":"info","msg":"not pino"}',
    '{"level":30}',
    '{"level":30,"msg":"cut',
    '[1,2]',
  ]) {
    assert.equal(formatLogLine(raw), raw);
    assert.equal(parseLogLine(raw), null, raw);
  }
});

test('parseLogLine keeps the non-standard fields only', () => {
  const parsed = parseLogLine(JSON.stringify({ level: 20, time: TIME, pid: 1, hostname: 'h', role: 'cli', msg: 'x', a: 1 }));
  assert.deepEqual(parsed, { level: 20, time: TIME, msg: 'x', role: 'cli', fields: { a: 1 } });
});
