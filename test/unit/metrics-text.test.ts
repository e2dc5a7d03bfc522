// The exposition writer: label escaping, histogram buckets, and families without samples left out.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Histogram, renderMetrics } from '../../src/runtime/metrics-text.js';

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Array<{ name: string; metrics: Array<Record<string, unknown>> }>;

test('labels with quotes, backslashes and newlines survive a parser round trip', () => {
  const nasty = 'a "quoted" \\ back\nslash';
  const text = renderMetrics([{ name: 'gatehouse_x', help: 'help with \\ and\nnewline', type: 'gauge', samples: [{ labels: { channel: nasty }, value: 2 }] }]);
  const [family] = parse(text);
  assert.equal(family?.name, 'gatehouse_x');
  assert.deepEqual(family?.metrics[0], { value: '2', labels: { channel: nasty } });
});

test('a histogram counts each observation into every bucket at or above it, with sum and count', () => {
  const h = new Histogram('gatehouse_h_seconds', 'h', [0.1, 1]);
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const [family] = parse(renderMetrics([h.family()]));
  assert.deepEqual(family?.metrics[0], { buckets: { '0.1': '1', '1': '2', '+Inf': '3' }, count: '3', sum: '5.55' });
});

test('families without samples are left out; an empty exposition is one newline', () => {
  assert.equal(renderMetrics([{ name: 'gatehouse_empty', help: 'e', type: 'gauge', samples: [] }]), '\n');
  assert.equal(renderMetrics([new Histogram('gatehouse_never_seconds', 'n').family()]), '\n');
});
