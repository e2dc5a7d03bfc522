// splitMessage: every part within the limit, cuts on paragraphs, then lines, never inside a code
// block unless the block alone is too long (then the fence is closed and reopened).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitMessage, TELEGRAM_TEXT_LIMIT } from '../../src/channels/telegram/splitter.js';

const fenceCount = (part: string): number => part.split('\n').filter((l) => /^\s*```/.test(l)).length;

test('a short text is one part, unchanged', () => {
  assert.deepEqual(splitMessage('hello\n\nworld'), ['hello\n\nworld']);
  assert.deepEqual(splitMessage('x'.repeat(TELEGRAM_TEXT_LIMIT)), ['x'.repeat(TELEGRAM_TEXT_LIMIT)]);
});

test('a long text is cut at paragraph boundaries, every part within the limit, nothing lost', () => {
  const paragraphs = Array.from({ length: 30 }, (_, i) => `paragraph ${i} ${'word '.repeat(60)}`.trim());
  const text = paragraphs.join('\n\n');
  const parts = splitMessage(text, 1000);
  assert.ok(parts.length > 1);
  for (const part of parts) assert.ok(part.length <= 1000, `part of ${part.length}`);
  // Each part holds whole paragraphs.
  for (const part of parts) for (const p of part.split('\n\n')) assert.ok(paragraphs.includes(p), 'a paragraph was cut');
  assert.equal(parts.join('\n\n'), text);
});

test('a code block that fits is never cut: it moves to the next part whole', () => {
  const code = ['```ts', ...Array.from({ length: 20 }, (_, i) => `const v${i} = ${i};`), '```'].join('\n');
  const text = `${'intro line\n'.repeat(60)}\n${code}\n\nafter`;
  const parts = splitMessage(text, 900);
  for (const part of parts) {
    assert.ok(part.length <= 900);
    assert.equal(fenceCount(part) % 2, 0, `unbalanced fence in:\n${part}`);
  }
  assert.ok(parts.some((p) => p.includes(code)), 'the block is whole in one part');
});

test('a code block longer than the limit is closed and reopened with its opener', () => {
  const body = Array.from({ length: 400 }, (_, i) => `line ${i} of code`);
  const text = ['before', '```python', ...body, '```', 'after'].join('\n');
  const parts = splitMessage(text, 1000);
  assert.ok(parts.length >= 4);
  for (const part of parts) {
    assert.ok(part.length <= 1000, `part of ${part.length}`);
    assert.equal(fenceCount(part) % 2, 0, `unbalanced fence in:\n${part}`);
  }
  for (const part of parts.slice(1, -1)) assert.ok(part.startsWith('```python\n'), 'reopened with the language');
  const lines = parts.join('\n').split('\n').filter((l) => l.startsWith('line '));
  assert.deepEqual(lines, body, 'every code line once, in order');
});

test('a single line longer than the limit is cut (at a space), never a surrogate pair', () => {
  const text = `${'emoji 😀 '.repeat(2000)}`;
  const parts = splitMessage(text);
  for (const part of parts) {
    assert.ok(part.length <= TELEGRAM_TEXT_LIMIT);
    assert.ok(!/[\uD800-\uDBFF]$/.test(part) && !/^[\uDC00-\uDFFF]/.test(part), 'a surrogate pair was split');
  }
  assert.equal(parts.join('').replace(/\s/g, ''), text.replace(/\s/g, ''));
});

test('the same text always gives the same parts (the outbox derives them again after a crash)', () => {
  const text = Array.from({ length: 500 }, (_, i) => (i % 7 === 0 ? '```' : `row ${i}`)).join('\n');
  assert.deepEqual(splitMessage(text, 700), splitMessage(text, 700));
  for (const part of splitMessage(text, 700)) assert.ok(part.length <= 700);
});
