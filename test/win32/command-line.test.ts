// The Windows command line and environment block that spawnDetachedWin32 builds. Pure functions, so
// these run on every OS; identity.test.ts checks the same round trip through a real node.exe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { environmentBlock, quoteWindowsArg, windowsCommandLine } from '../../src/platform/win32.js';

/** The MSVC runtime's argv rules (what node.exe applies), for arguments after the program name. */
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

test('windowsCommandLine quotes the program path too', () => {
  assert.equal(windowsCommandLine('C:\\Program Files\\nodejs\\node.exe', ['-e', '1']), '"C:\\Program Files\\nodejs\\node.exe" -e 1');
});

test('environmentBlock is sorted case-insensitively, NUL-separated, double-NUL-terminated UTF-16', () => {
  const block = environmentBlock({ b: '2', A: '1', Path: 'C:\\x', SKIP: undefined, 'bad=name': 'x', C: 'ü' });
  assert.equal(block.toString('utf16le'), 'A=1\0b=2\0C=ü\0Path=C:\\x\0\0');
  assert.equal(environmentBlock({}).toString('utf16le'), '\0');
});
