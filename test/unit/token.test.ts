// The API token file: created 0600, reused, mode repaired, garbage replaced; constant-time match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { ERROR_CODES, GatehouseError } from '../../src/errors.js';
import { join } from 'node:path';
import { ensureToken, readToken, tokenMatches } from '../../src/gateway/token.js';
import { spawnNode, tempDir } from './helpers.js';

const posixOnly = { skip: process.platform === 'win32' };
const mode = (file: string): number => statSync(file).mode & 0o777;

test('ensureToken creates a 0600 file with a url-safe token', posixOnly, (t) => {
  const file = join(tempDir(t), 'token');
  assert.equal(readToken(file), null);
  const first = ensureToken(file);
  assert.match(first.token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(first.note, 'created a new API token');
  assert.equal(readFileSync(file, 'utf8'), `${first.token}\n`);
  assert.equal(mode(file), 0o600);
  assert.equal(readToken(file), first.token);
});

test('ensureToken reuses an existing token without a note', posixOnly, (t) => {
  const file = join(tempDir(t), 'token');
  const first = ensureToken(file);
  assert.deepEqual(ensureToken(file), { token: first.token, note: null });
  assert.equal(readFileSync(file, 'utf8'), `${first.token}\n`);
});

test('ensureToken fixes a 0644 mode and keeps the token', posixOnly, (t) => {
  const file = join(tempDir(t), 'token');
  const token = 'abcdefghijklmnop_QRSTUV-0123456789';
  writeFileSync(file, `${token}\n`);
  chmodSync(file, 0o644);
  const read = ensureToken(file);
  assert.equal(read.token, token);
  assert.match(read.note ?? '', /644.*600/);
  assert.equal(mode(file), 0o600);
  assert.deepEqual(ensureToken(file), { token, note: null });
});

test('ensureToken replaces garbage (short, bad characters, empty) with a new private token', posixOnly, (t) => {
  const dir = tempDir(t);
  for (const [i, garbage] of ['short', 'has spaces in it and more', '', 'x'.repeat(300), 'ünïcödé-ünïcödé-ünïcödé'].entries()) {
    const file = join(dir, `token${i}`);
    writeFileSync(file, garbage, { mode: 0o644 });
    const read = ensureToken(file);
    assert.notEqual(read.token, garbage.trim());
    assert.match(read.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(read.replaced, garbage === '' ? 'empty' : 'garbage');
    assert.match(read.note ?? '', new RegExp(`${file}.*(was empty|held no valid token).*replaced.*401`), 'the replacement is said, with the path');
    assert.equal(readFileSync(file, 'utf8'), `${read.token}\n`);
    assert.equal(mode(file), 0o600, JSON.stringify(garbage));
  }
});

test('a token path that is a directory is a clear error, never replaced or read raw', posixOnly, (t) => {
  const file = join(tempDir(t), 'token');
  mkdirSync(file);
  for (const call of [() => readToken(file), () => ensureToken(file)]) {
    assert.throws(call, (error: unknown) => {
      assert.ok(error instanceof GatehouseError);
      assert.equal(error.code, ERROR_CODES.TOKEN_UNUSABLE);
      assert.match(error.message, new RegExp(`${file} is a directory, not a file`));
      assert.doesNotMatch(error.message, /EISDIR/);
      return true;
    });
  }
  assert.ok(statSync(file).isDirectory(), 'left as it was');
});

test('two created tokens differ', posixOnly, (t) => {
  const dir = tempDir(t);
  assert.notEqual(ensureToken(join(dir, 'a')).token, ensureToken(join(dir, 'b')).token);
});

test('tokenMatches only for the exact token', () => {
  const actual = 'abcdefghijklmnop_QRSTUV';
  assert.equal(tokenMatches(actual, actual), true);
  assert.equal(tokenMatches(`${actual}`.slice(0), actual), true);
  assert.equal(tokenMatches(undefined, actual), false);
  assert.equal(tokenMatches('', actual), false);
  assert.equal(tokenMatches(actual.slice(0, -1), actual), false, 'prefix');
  assert.equal(tokenMatches(`${actual}x`, actual), false, 'longer');
  assert.equal(tokenMatches(actual.replace('a', 'b'), actual), false, 'same length, one byte off');
  assert.equal(tokenMatches(actual.toUpperCase(), actual), false);
});

test('concurrent first starts agree on one token: each creator returns what the file holds', posixOnly, async (t) => {
  const file = join(tempDir(t), 'token');
  const tokenModule = new URL('../../src/gateway/token.js', import.meta.url).href;
  // Four processes released at the same instant, each creating the missing token.
  const at = Date.now() + 500;
  const script = `import(${JSON.stringify(tokenModule)}).then(({ ensureToken }) => { while (Date.now() < ${at}); console.log(ensureToken(${JSON.stringify(file)}).token); });`;
  const children = await Promise.all([1, 2, 3, 4].map(() => spawnNode(t, script)));
  const tokens = new Set(children.map((c) => c.firstLine));
  assert.equal(tokens.size, 1, `one token for all: ${[...tokens].join(', ')}`);
  assert.equal(readFileSync(file, 'utf8'), `${[...tokens][0]}\n`, 'and it is the one in the file');
});
