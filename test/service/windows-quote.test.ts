// Windows quoting round trips: the C runtime's argv rules, cmd.exe lines in a .cmd file, and JScript
// string literals (cross-checked against a real JavaScript engine, whose string syntax is a superset).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { buildWindowsCommandLine, parseWindowsCommandLine, quoteWindowsArg } from '../../src/service/win-cmdline.js';
import { escapeForCmd, parseCmdLine, quoteCmdLine, unescapeCmd } from '../../src/service/cmd-quote.js';
import { parseJsLiteral, quoteJsString, renderJsLiteral } from '../../src/service/jscript-quote.js';
import { UnrepresentableError } from '../../src/service/spec.js';
import { LINE_BREAKS, NASTY } from './nasty.js';

const PROGRAM = 'C:\\Program Files\\nodejs\\node.exe';

test('argv quoting round-trips through the UCRT parser', () => {
  for (const value of [...NASTY, ...LINE_BREAKS, '\\\\server\\share\\', 'a\\\\"b', '"\\"']) {
    const argv = [PROGRAM, value, `x${value}`, value];
    assert.deepEqual(parseWindowsCommandLine(buildWindowsCommandLine(argv)), argv, JSON.stringify(value));
  }
  assert.deepEqual(parseWindowsCommandLine(buildWindowsCommandLine([PROGRAM, ...NASTY])), [PROGRAM, ...NASTY]);
  assert.equal(quoteWindowsArg('run'), 'run');
  assert.equal(quoteWindowsArg(''), '""');
  assert.equal(quoteWindowsArg('C:\\a b\\'), '"C:\\a b\\\\"');
  assert.throws(() => buildWindowsCommandLine(['C:\\a"b.exe']), UnrepresentableError);
});

test('the argv parser follows Microsoft\'s documented examples', () => {
  // "Parsing C command-line arguments" (Microsoft C runtime docs), plus the 2008+ "" rule.
  const cases: Array<[string, string[]]> = [
    ['p "a b c" d e', ['a b c', 'd', 'e']],
    ['p "ab\\"c" "\\\\" d', ['ab"c', '\\', 'd']],
    ['p a\\\\\\b d"e f"g h', ['a\\\\\\b', 'de fg', 'h']],
    ['p a\\\\\\"b c d', ['a\\"b', 'c', 'd']],
    ['p a\\\\\\\\"b c" d e', ['a\\\\b c', 'd', 'e']],
    ['p a"b"" c d', ['ab" c d']],
    ['"C:\\x y\\p.exe"a b', ['a', 'b']],
  ];
  for (const [line, args] of cases) assert.deepEqual(parseWindowsCommandLine(line).slice(1), args, line);
  assert.equal(parseWindowsCommandLine('"C:\\x y\\p.exe" a')[0], 'C:\\x y\\p.exe');
});

test('.cmd quoting round-trips through cmd.exe\'s and then the program\'s parsing', () => {
  for (const value of [...NASTY, '%%PATH%%', 'a^', '"&"', '&"&', '"', 'x"y&z', '^"', '100% & "x"']) {
    const argv = [PROGRAM, value, `${value}${value}`];
    assert.deepEqual(parseCmdLine(quoteCmdLine(argv)), argv, JSON.stringify(value));
  }
  assert.deepEqual(parseCmdLine(quoteCmdLine([PROGRAM, ...NASTY])), [PROGRAM, ...NASTY]);
});

test('.cmd escaping doubles % everywhere and ^-escapes specials only outside cmd\'s quotes', () => {
  assert.equal(escapeForCmd('"a & b" c&d 100% ^'), '"a & b" c^&d 100%% ^^');
  // \" is a literal quote for the program but toggles cmd's state: the & after it is outside quotes.
  assert.equal(quoteCmdLine(['C:\\p.exe', 'a"&b']), '"C:\\p.exe" "a\\"^&b"');
  assert.throws(() => unescapeCmd('x %PATH%'), /variable expansion/);
  assert.throws(() => unescapeCmd('x & y'), /unescaped &/);
  assert.throws(() => escapeForCmd('a\r\nb'), UnrepresentableError);
});

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
