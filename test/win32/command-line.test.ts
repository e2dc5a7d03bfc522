// The Windows command line (platform/win-cmdline.ts: what spawnDetachedWin32, the .cmd shim line,
// the launchers and discovery use) and the environment block spawnDetachedWin32 builds. Pure
// functions, so these run on every OS; identity.test.ts checks the same round trip through a real
// node.exe, cmd-shim.test.ts through a real cmd.exe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnrepresentableError } from '../../src/errors.js';
import { buildWindowsCommandLine, parseWindowsCommandLine, quoteWindowsArg } from '../../src/platform/win-cmdline.js';
import { environmentBlock } from '../../src/platform/win32-spawn.js';
import { LINE_BREAKS, NASTY } from '../service/nasty.js';

const PROGRAM = 'C:\\Program Files\\nodejs\\node.exe';

/**
 * The MSVC runtime's argv rules (what node.exe applies), for arguments after the program name: a
 * second implementation, written apart from parseWindowsCommandLine, so the two check each other.
 */
function parseArgs(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length; i++) {
      const c = line[i];
      if (!quoted && (c === ' ' || c === '\t')) break;
      if (c === '\\') {
        let n = 0;
        while (line[i] === '\\') { n++; i++; }
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) arg += '"'; else quoted = !quoted;
        } else {
          arg += '\\'.repeat(n);
          i--;
        }
      } else if (c === '"') {
        if (quoted && line[i + 1] === '"') { arg += '"'; i++; } else quoted = !quoted;
      } else {
        arg += c;
      }
    }
    args.push(arg);
  }
  return args;
}

test('quoteWindowsArg round-trips through the MSVC argv rules', () => {
  const cases = ['plain', '', 'with space', 'tab\there', 'quote"inside', '"', '\\', 'trailing\\', 'trail space\\',
    'back\\\\"slash', '\\\\server\\share\\x y', 'C:\\Program Files\\node\\node.exe', 'ü é', '%PATH%', 'a\\\\', '"\\"'];
  for (const arg of cases) assert.deepEqual(parseArgs(quoteWindowsArg(arg)), [arg], `argument ${JSON.stringify(arg)} as ${quoteWindowsArg(arg)}`);
  assert.deepEqual(parseArgs(cases.map(quoteWindowsArg).join(' ')), cases);
  assert.equal(quoteWindowsArg('plain'), 'plain', 'no needless quotes');
});

test('buildWindowsCommandLine quotes the program path, which has no escapes', () => {
  assert.equal(buildWindowsCommandLine([PROGRAM, '-e', '1']), '"C:\\Program Files\\nodejs\\node.exe" -e 1');
  assert.equal(buildWindowsCommandLine(['C:\\node\\node.exe']), '"C:\\node\\node.exe"');
  assert.throws(() => buildWindowsCommandLine(['C:\\a"b.exe']), UnrepresentableError);
});

test('argv quoting round-trips through the UCRT parser', () => {
  for (const value of [...NASTY, ...LINE_BREAKS, '\\\\server\\share\\', 'a\\\\"b', '"\\"']) {
    const argv = [PROGRAM, value, `x${value}`, value];
    assert.deepEqual(parseWindowsCommandLine(buildWindowsCommandLine(argv)), argv, JSON.stringify(value));
    assert.deepEqual(parseArgs(buildWindowsCommandLine(argv).slice(PROGRAM.length + 3)), argv.slice(1), JSON.stringify(value));
  }
  assert.deepEqual(parseWindowsCommandLine(buildWindowsCommandLine([PROGRAM, ...NASTY])), [PROGRAM, ...NASTY]);
  assert.equal(quoteWindowsArg('run'), 'run');
  assert.equal(quoteWindowsArg(''), '""');
  assert.equal(quoteWindowsArg('C:\\a b\\'), '"C:\\a b\\\\"');
});

// There were two quoteWindowsArg (one here, one in win32.ts that quoted on any JS whitespace and let
// NUL through). These are where they differed: only space, tab, LF, VT and " need quotes (other
// blanks are text to the C runtime), and NUL is refused: CreateProcessW reads a C string and would
// cut the command line there, silently dropping that argument and every one after it.
test('only the C runtime\'s separators need quotes; NUL cannot be carried', () => {
  for (const blank of ['\r', '\f', '\u00a0', '\u3000', '\u2028', '\ufeff']) {
    const arg = `a${blank}b`;
    assert.equal(quoteWindowsArg(arg), arg, `${JSON.stringify(blank)} is text, not a separator`);
    assert.deepEqual(parseArgs(`${quoteWindowsArg(arg)} next`), [arg, 'next']);
    assert.deepEqual(parseWindowsCommandLine(buildWindowsCommandLine([PROGRAM, arg, 'next'])).slice(1), [arg, 'next']);
  }
  for (const separator of [' ', '\t', '\n', '\v']) assert.equal(quoteWindowsArg(`a${separator}b`), `"a${separator}b"`, JSON.stringify(separator));
  assert.throws(() => quoteWindowsArg('a\0b'), UnrepresentableError);
  assert.throws(() => buildWindowsCommandLine([PROGRAM, 'ok', 'a\0b', 'lost']), UnrepresentableError);
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

test('environmentBlock is sorted case-insensitively, NUL-separated, double-NUL-terminated UTF-16', () => {
  const block = environmentBlock({ b: '2', A: '1', Path: 'C:\\x', SKIP: undefined, 'bad=name': 'x', C: 'ü' });
  assert.equal(block.toString('utf16le'), 'A=1\0b=2\0C=ü\0Path=C:\\x\0\0');
  assert.equal(environmentBlock({}).toString('utf16le'), '\0');
});
