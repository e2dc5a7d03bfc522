// The pure parts of the openai agent: the history budget, retry pacing and Retry-After parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trimHistory } from '../../src/gateway/agents/history.js';
import { MAX_RETRY_AFTER_MS, MAX_RETRY_DELAY_MS, RetryPolicy, retryAfterMs } from '../../src/gateway/agents/retry.js';
import type { AgentMessage } from '../../src/gateway/agents/types.js';

const turns = (...texts: string[]): AgentMessage[] => texts.map((text, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', text }));

test('trimHistory keeps the latest whole turns within both limits', () => {
  const h = turns('aaaa', 'bbbb', 'cc', 'dd', 'e', 'f');
  assert.deepEqual(trimHistory(h, { maxMessages: 100, maxChars: 100 }), h);
  assert.deepEqual(trimHistory(h, { maxMessages: 4, maxChars: 100 }).map((m) => m.text), ['cc', 'dd', 'e', 'f']);
  assert.deepEqual(trimHistory(h, { maxMessages: 3, maxChars: 100 }).map((m) => m.text), ['e', 'f'], 'never half a turn');
  assert.deepEqual(trimHistory(h, { maxMessages: 100, maxChars: 6 }).map((m) => m.text), ['cc', 'dd', 'e', 'f']);
  assert.deepEqual(trimHistory(h, { maxMessages: 100, maxChars: 5 }).map((m) => m.text), ['e', 'f']);
  assert.deepEqual(trimHistory(h, { maxMessages: 100, maxChars: 1 }), [], 'a turn over the budget is dropped, not cut');
  assert.equal(trimHistory(h, { maxMessages: 100, maxChars: 100 })[0]?.role, 'user', 'starts with a user message');
});

test('trimHistory stops at the first turn that does not fit: no older turn jumps the gap', () => {
  const h = turns('x', 'y', 'a very long question', 'a very long answer', 'p', 'q');
  assert.deepEqual(trimHistory(h, { maxMessages: 100, maxChars: 10 }).map((m) => m.text), ['p', 'q']);
});

test('retry delays double from the base up to the cap, honour Retry-After, and stop after maxRetries', () => {
  const policy = new RetryPolicy(10, () => 0.5);
  const delays = [1, 2, 3, 4, 5, 6, 7].map((a) => policy.next(a, null));
  assert.deepEqual(delays.map((d) => (d.retry ? d.delayMs : -1)), [1_000, 2_000, 4_000, 8_000, 16_000, MAX_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS]);
  assert.deepEqual(policy.next(1, 7_000), { retry: true, delayMs: 7_000 }, 'never shorter than Retry-After');
  assert.deepEqual(policy.next(3, 10), { retry: true, delayMs: 4_000 }, 'a short Retry-After does not hurry the backoff');
  assert.deepEqual(new RetryPolicy(2).next(3, null), { retry: false, reason: 'gave up after 3 attempts' });
  const tooLong = policy.next(1, MAX_RETRY_AFTER_MS + 1);
  assert.equal(tooLong.retry, false);
  assert.match(tooLong.retry ? '' : tooLong.reason, /asks to wait 301 s/);
});

test('retry jitter spreads the delay by +-50%', () => {
  assert.deepEqual([0, 0.999999].map((r) => new RetryPolicy(3, () => r).next(2, null)), [{ retry: true, delayMs: 1_000 }, { retry: true, delayMs: 3_000 }]);
});

test('Retry-After: seconds, an HTTP date, OpenAI\'s retry-after-ms; garbage is ignored', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  assert.equal(retryAfterMs({ 'retry-after': '3' }, now), 3_000);
  assert.equal(retryAfterMs({ 'retry-after': '0.5' }, now), 500);
  assert.equal(retryAfterMs({ 'retry-after': 'Tue, 01 Dec 2026 12:00:10 GMT' }, now), 10_000);
  assert.equal(retryAfterMs({ 'retry-after': 'Tue, 01 Dec 2026 11:00:00 GMT' }, now), 0);
  assert.equal(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now), 250);
  assert.equal(retryAfterMs({ 'retry-after': 'soon' }, now), null);
  assert.equal(retryAfterMs({ 'retry-after-ms': '' }, now), null);
  assert.equal(retryAfterMs({}, now), null);
});
