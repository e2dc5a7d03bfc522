// Windows quoting round trips: JScript string literals (cross-checked against a real JavaScript
// engine, whose string syntax is a superset). The C runtime's argv rules: test/win32/command-line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { parseJsLiteral, quoteJsString, renderJsLiteral } from '../../src/service/jscript-quote.js';
import { LINE_BREAKS, NASTY } from './nasty.js';

test('JScript string quoting round-trips and is pure ASCII', () => {
  for (const value of [...NASTY, ...LINE_BREAKS, '\u2028\u2029', '\x00\x7f', '\ud800 lone', '🚀']) {
    const literal = quoteJsString(value);
    assert.match(literal, /^[\x20-\x7e]*$/);
    assert.equal(parseJsLiteral(literal), value, JSON.stringify(value));
    // JavaScript's string literal syntax contains JScript's: an independent parser must agree.
    assert.equal(runInNewContext(literal), value);
  }
});

test('the JScript literal reader handles arrays, integers and escapes it did not write', () => {
  const value = [['GATEHOUSE_HOME', 'C:\\Users\\ü'], 'x', 30000, []];
  assert.deepEqual(parseJsLiteral(renderJsLiteral(value)), value);
  assert.deepEqual(parseJsLiteral(`['a\\'b', "\\x41\\t", -1 ]`), ["a'b", 'A\t', -1]);
  assert.throws(() => parseJsLiteral('"open'), /unterminated/);
  assert.throws(() => parseJsLiteral('"a" + b'), /after a literal/);
  assert.throws(() => parseJsLiteral('foo()'), /expected a literal/);
});
