// .cmd shims (npm.cmd and the like) run through a real cmd.exe (Wine's, in CI): a generated shim that
// hands %* to node.exe receives exactly the arguments given, however nasty; what cmd cannot carry is
// refused before anything runs. Through runProgram, the way agent programs are run.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CmdShimArgumentError, invocationFor } from '../../src/platform/cmd-shim.js';
import { runProgram } from '../../src/platform/spawn.js';
import { skipUnlessWin32, tempDir } from './win32-helpers.js';

const RUN_TIMEOUT_MS = 30_000;

/** A shim like npm's: node.exe, a script next to it, then %*. The script prints its argv as JSON. */
function makeShim(): { shim: string; marker: string } {
  const dir = join(tempDir('cmd-shim'), 'shim dir & co (x) ^ !');
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'print-args.js');
  const marker = join(dir, 'ran.txt');
  writeFileSync(script, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); console.log(JSON.stringify(process.argv.slice(2)));\n`);
  const shim = join(dir, 'print args.cmd');
  writeFileSync(shim, `@echo off\r\n"${process.execPath}" "${script}" %*\r\n`);
  return { shim, marker };
}

test('a generated .cmd run by cmd.exe receives nasty arguments exactly', { skip: skipUnlessWin32, timeout: 120_000 }, async () => {
  const { shim } = makeShim();
  const cases: string[][] = [
    ['plain', 'with space', ''],
    ['a&b', 'a^b', '^', '&&', '^^'],
    ['q"uote', '"', '""', 'a\\"b', 'tr\\', 'tr space\\'],
    ['a|b', 'c>d', 'e<f', '(x)', '!x!', 'a,b;c=d', 'ü é'],
    ['" & echo INJECTED & "', '^" & echo INJECTED'],
  ];
  for (const args of cases) {
    const result = await runProgram(shim, args, { timeoutMs: RUN_TIMEOUT_MS }).result;
    assert.equal(result.exitCode, 0, `${JSON.stringify(args)}: ${result.stderr}`);
    assert.deepEqual(JSON.parse(result.stdout.trim()), args);
    assert.doesNotMatch(result.stdout, /^INJECTED/m);
  }
});

test('arguments cmd.exe cannot carry are refused and the shim never runs', { skip: skipUnlessWin32, timeout: 60_000 }, async () => {
  const { shim, marker } = makeShim();
  for (const bad of ['%PATH%', '100%', 'line\nbreak', 'cr\rhere', 'nul\0byte']) {
    assert.throws(() => invocationFor(shim, ['ok', bad], 'win32'), CmdShimArgumentError, JSON.stringify(bad));
    const refused = await runProgram(shim, ['ok', bad], { timeoutMs: RUN_TIMEOUT_MS }).result;
    assert.equal(refused.ok, false, JSON.stringify(bad));
    assert.notEqual(refused.spawnError, null, `${JSON.stringify(bad)}: a result that says it could not start`);
  }
  assert.equal(existsSync(marker), false, 'nothing ran');
  assert.equal((await runProgram(shim, ['ok'], { timeoutMs: RUN_TIMEOUT_MS }).result).exitCode, 0);
  assert.equal(existsSync(marker), true, 'the control run did run');
});
