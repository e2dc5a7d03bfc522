// The frame of the command lines read without commander (src/cli/fast-args.ts), on a command of its
// own, and main.ts's choice of which command lines go to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readCommandLine } from '../../src/cli/fast-args.js';
import { CLI } from '../e2e/harness.js';

/** `probe [-p NAME] [--loud] [--level L] A B`: `--level` must be a digit, which only the command knows. */
function parseProbe(args: readonly string[]): { profile: string; a: string; b: string; loud?: boolean; level?: string } | null {
  return readCommandLine(args, { name: 'probe', options: { loud: { type: 'boolean' }, level: { type: 'string' } }, positionals: 2 }, (values, [a, b]) =>
    values.level !== undefined && !/^\d$/.test(values.level) ? null : { a: a!, b: b!, ...(values.loud === true ? { loud: true } : {}), ...(values.level !== undefined ? { level: values.level } : {}) });
}

test('the name, then --profile in every spelling beside the command\'s own options and its arguments', () => {
  assert.deepEqual(parseProbe(['probe', 'x', 'y']), { profile: 'default', a: 'x', b: 'y' });
  assert.deepEqual(parseProbe(['probe', '-p', 'w', 'x', '--loud', 'y']), { profile: 'w', a: 'x', b: 'y', loud: true });
  assert.deepEqual(parseProbe(['probe', '--profile=w', '-pv', 'x', 'y', '--level', '3']), { profile: 'v', a: 'x', b: 'y', level: '3' });
});

test('null for another name, an unknown option, a missing value, the wrong number of arguments, `--`, or what the command refuses', () => {
  const others = [[], ['other', 'x', 'y'], ['x', 'probe', 'y'], ['probe', 'x', 'y', '--bogus'], ['probe', 'x', 'y', '-h'], ['probe', 'x', 'y', '--profile'], ['probe', 'x', 'y', '--loud=yes'],
    ['probe', 'x'], ['probe', 'x', 'y', 'z'], ['probe', '--', 'x', 'y'], ['probe', 'x', 'y', '--'], ['probe', 'x', 'y', '--level', 'high']];
  for (const args of others) assert.equal(parseProbe(args), null, args.join(' '));
});

test('a command without arguments takes none, and a `--` that ends its options leaves nothing behind', () => {
  const bare = (args: readonly string[]) => readCommandLine(args, { name: 'bare', options: {} }, () => ({}));
  assert.deepEqual(bare(['bare']), { profile: 'default' });
  assert.deepEqual(bare(['bare', '-p', 'w', '--']), { profile: 'w' });
  for (const args of [['bare', 'x'], ['bare', '--', 'x'], ['bare', '--loud']]) assert.equal(bare(args), null, args.join(' '));
});

test('main.ts: a command line whose first word is a name every object has goes to the full CLI like any unknown command', () => {
  for (const word of ['constructor', '__proto__', 'toString']) {
    const result = spawnSync(process.execPath, [CLI, word], { encoding: 'utf8' });
    assert.equal(result.status, 2, `${word}: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`unknown command '${word}'`));
  }
});
