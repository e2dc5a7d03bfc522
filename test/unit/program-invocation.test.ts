// How an agent program is started (pure, so both OSes are checked here): a .cmd/.bat on Windows goes
// to cmd.exe through the shim line, a bare name is found through PATHEXT, and runProgram reports a
// program that cannot be started as a result, never a throw. test/win32/cmd-agent.test.ts runs the
// same paths for real under Wine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CmdShimArgumentError, cmdShimCommandLine, invocationFor, resolveWindowsCommand } from '../../src/platform/cmd-shim.js';
import { runProgram } from '../../src/platform/spawn.js';

const WIN_ENV = { ComSpec: 'C:\\Windows\\System32\\cmd.exe', PATHEXT: '.COM;.EXE;.BAT;.CMD' };

test('on Windows a .cmd or .bat (any case) is run by cmd.exe with the escaped shim line; other programs directly', () => {
  for (const shim of ['C:\\npm\\npx.cmd', 'C:\\tools\\Agent.BAT']) {
    const how = invocationFor(shim, ['a b', 'x&y'], 'win32', WIN_ENV);
    assert.equal(how.kind, 'cmd-shim');
    assert.equal(how.file, WIN_ENV.ComSpec);
    assert.deepEqual(how.args, ['/d', '/v:off', '/s', '/c', `"${cmdShimCommandLine(shim, ['a b', 'x&y'])}"`]);
  }
  assert.deepEqual(invocationFor('C:\\node\\node.exe', ['x'], 'win32', WIN_ENV), { file: 'C:\\node\\node.exe', args: ['x'], kind: 'program' });
  assert.deepEqual(invocationFor('/usr/bin/agent.cmd', ['x'], 'linux', {}), { file: '/usr/bin/agent.cmd', args: ['x'], kind: 'program' }, 'a .cmd is an ordinary file elsewhere');
  assert.equal(invocationFor('C:\\npm\\npx.cmd', [], 'win32', { SystemRoot: 'D:\\Win' }).file, 'D:\\Win\\System32\\cmd.exe', 'no ComSpec: the system cmd.exe');
  assert.throws(() => invocationFor('C:\\npm\\npx.cmd', ['50%'], 'win32', WIN_ENV), CmdShimArgumentError);
});

test('a command without an extension is what cmd.exe would run: PATHEXT order, its own directory or each PATH entry', () => {
  const files = new Set(['C:\\npm\\npx.cmd', 'C:\\tools\\both.exe', 'C:\\tools\\both.cmd', 'C:\\later\\npx.exe', 'C:\\abs\\agent.bat']);
  // Windows file names are case-insensitive, and PATHEXT is upper case.
  const exists = (path: string): boolean => files.has(path.replace(/\.[A-Z]+$/, (ext) => ext.toLowerCase()));
  const env = { ...WIN_ENV, PATH: 'C:\\tools;C:\\npm;;C:\\later' };
  assert.equal(resolveWindowsCommand('npx', env, exists), 'C:\\npm\\npx.CMD', 'the first PATH entry that has it wins');
  assert.equal(resolveWindowsCommand('both', env, exists), 'both', '.EXE comes before .CMD: left for CreateProcess to find');
  assert.equal(resolveWindowsCommand('C:\\abs\\agent', env, exists), 'C:\\abs\\agent.BAT', 'a path is looked up in its own directory only');
  assert.equal(resolveWindowsCommand('C:\\abs\\agent.exe', env, exists), 'C:\\abs\\agent.exe', 'an extension given is taken as is');
  assert.equal(resolveWindowsCommand('nowhere', env, exists), 'nowhere', 'not found: unchanged (the start reports ENOENT)');
  assert.equal(resolveWindowsCommand('npx', { PATH: 'C:\\npm', PATHEXT: '.EXE' }, exists), 'npx', 'only the extensions PATHEXT lists');
});

test('runProgram never throws: a program Node refuses at once is a failed result that says why', async () => {
  const refused = runProgram(process.execPath, ['bad\0argument'], { timeoutMs: 10_000 });
  assert.equal(refused.child, null);
  const result = await refused.result;
  assert.equal(result.ok, false);
  assert.match(result.spawnError ?? '', /^cannot start .*null bytes/);
  const missing = await runProgram('/nonexistent/agent', [], { timeoutMs: 10_000 }).result;
  assert.equal(missing.ok, false);
  assert.match(missing.spawnError ?? '', /ENOENT/);
});

test('stop() ends the program and what it started (its process group on POSIX)', { skip: process.platform === 'win32' ? 'POSIX process groups' : false }, async () => {
  // A shell that starts a grandchild and waits for it: stop() must end both, or `close` never comes.
  const running = runProgram('/bin/sh', ['-c', 'sleep 600 & wait'], { timeoutMs: 120_000 });
  setTimeout(() => running.stop(), 200);
  const result = await running.result;
  assert.equal(result.ok, false);
  assert.equal(result.signal, 'SIGTERM');
});
