// A `command` agent that is a .cmd shim (npm's npx.cmd is the common case), run for real under Wine:
// Node refuses to start a .cmd by itself (EINVAL), so runProgram hands it to cmd.exe through the
// tested shim path (platform/cmd-shim.ts). The real gateway answers a message with it; a command
// named without its extension is found as cmd.exe would find it; a timeout ends the node.exe behind
// the shim too, not only cmd.exe; an argument cmd.exe cannot carry is refused before anything runs.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runProgram } from '../../src/platform/spawn.js';
import { win32 } from '../../src/platform/win32.js';
import { killProcessTree } from '../../src/runtime/process-tree.js';
import { gatewayHome, readJson, runCli } from './gateway-helpers.js';
import { skipUnlessWin32, tempDir, waitFor, waitForFile } from './win32-helpers.js';

const CLI_TIMEOUT_MS = 90_000;
const RUN_TIMEOUT_MS = 60_000;
/** A timeout short enough for the test, long enough for node.exe to start under Wine and say its pid. */
const AGENT_TIMEOUT_MS = 8_000;

/**
 * An agent the way npm installs one: `<dir>\<name>.cmd` running node.exe on a script next to it
 * with %*. The script answers `agent[<argv as JSON>]: <stdin>`, or with `--hang` writes its pid and
 * waits forever. The directory's name holds characters cmd.exe acts on.
 */
function makeCmdAgent(): { dir: string; shim: string; pidFile: string } {
  const dir = join(tempDir('cmd-agent'), 'agents & co (x)');
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'agent.js');
  const pidFile = join(dir, 'hanging.pid');
  writeFileSync(script, [
    "const args = process.argv.slice(2);",
    `if (args.includes('--hang')) { require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000); }`,
    "else { let text = ''; process.stdin.setEncoding('utf8').on('data', (c) => { text += c; }).on('end', () => { process.stdout.write('agent' + JSON.stringify(args) + ': ' + text); }); }",
    '',
  ].join('\n'));
  const shim = join(dir, 'my-agent.cmd');
  writeFileSync(shim, `@echo off\r\n"${process.execPath}" "${script}" %*\r\n`);
  return { dir, shim, pidFile };
}

test('a .cmd command agent answers a message through the real gateway (no EINVAL), with its arguments intact', { skip: skipUnlessWin32, timeout: 300_000 }, async () => {
  const { shim } = makeCmdAgent();
  const args = ['two words', 'a&b', '"quoted"'];
  const { home, profileDir } = gatewayHome('cmd-agent-gw', { api: { port: 0 }, agent: { kind: 'command', command: shim, args, timeoutMs: RUN_TIMEOUT_MS } });
  try {
    // A generous start timeout: under a loaded Wine the gateway can take more than the default 30 s.
    const started = await runCli(home, ['start', '--json', '--timeout', '80'], CLI_TIMEOUT_MS);
    assert.equal(started.code, 0, started.stdout + started.stderr);
    const sent = await runCli(home, ['send', 'chat-1', 'hello & <goodbye>', '--wait', '--timeout', '60'], CLI_TIMEOUT_MS);
    assert.equal(sent.code, 0, `no reply: ${sent.stdout}${sent.stderr}\n${readFileSync(join(profileDir, 'logs', 'gateway.log'), 'utf8').slice(-3000)}`);
    assert.equal(sent.stdout.trim(), `agent${JSON.stringify(args)}: hello & <goodbye>`);
  } finally {
    const stop = await runCli(home, ['stop'], CLI_TIMEOUT_MS);
    if (stop.code !== 0 && existsSync(join(profileDir, 'gatehouse.pid'))) killProcessTree(readJson(join(profileDir, 'gatehouse.pid')), 'SIGKILL');
  }
});

test('a command named without .cmd is found as cmd.exe finds it (PATHEXT), in its directory and on PATH', { skip: skipUnlessWin32, timeout: 120_000 }, async () => {
  const { dir, shim } = makeCmdAgent();
  const bare = shim.replace(/\.cmd$/, '');
  const byPath = await runProgram(bare, ['x'], { timeoutMs: RUN_TIMEOUT_MS, input: 'hi' }).result;
  assert.equal(byPath.spawnError, null, JSON.stringify(byPath));
  assert.equal(byPath.stdout, 'agent["x"]: hi', JSON.stringify(byPath));
  const env = { ...process.env, PATH: `${dir};${process.env.PATH ?? ''}` };
  const onPath = await runProgram('my-agent', [], { timeoutMs: RUN_TIMEOUT_MS, input: 'there', env }).result;
  assert.equal(onPath.spawnError, null, onPath.stderr);
  assert.equal(onPath.stdout, 'agent[]: there');
});

test('a timeout ends the node.exe behind the shim, not only cmd.exe', { skip: skipUnlessWin32, timeout: 120_000 }, async () => {
  const { shim, pidFile } = makeCmdAgent();
  const running = runProgram(shim, ['--hang'], { timeoutMs: AGENT_TIMEOUT_MS });
  const agentPid = Number(await waitForFile(pidFile, AGENT_TIMEOUT_MS));
  const agent = { pid: agentPid, startTime: win32.processStartTime(agentPid) ?? assert.fail('the agent is not running') };
  const result = await running.result;
  assert.equal(result.timedOut, true);
  assert.equal(result.ok, false);
  await waitFor('the node.exe behind the shim to be ended', RUN_TIMEOUT_MS, () => (win32.matchesIdentity(agent) ? undefined : true));
});

test('an argument cmd.exe cannot carry is a clear failure of the message, and the shim never runs', { skip: skipUnlessWin32, timeout: 60_000 }, async () => {
  const { shim, pidFile } = makeCmdAgent();
  const result = await runProgram(shim, ['--hang', '100%'], { timeoutMs: RUN_TIMEOUT_MS }).result;
  assert.equal(result.ok, false);
  assert.match(result.spawnError ?? '', /argument 2 contains %/);
  assert.equal(existsSync(pidFile), false, 'nothing ran');
});
