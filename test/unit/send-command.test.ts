// `send` read without commander (src/cli/send-command.ts): exactly the command lines it can read,
// read as the full CLI reads them (checked against commander's own parse of the same line), and
// null for anything the full CLI must explain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildProgram } from '../../src/cli/program.js';
import { DEFAULT_WAIT_MS, parseSendCommand } from '../../src/cli/send-command.js';
import { CLI } from '../e2e/harness.js';

/** What commander makes of `args` for the send command, its action left out. */
async function commanderReads(args: readonly string[]): Promise<Record<string, unknown>> {
  const program = buildProgram();
  const send = program.commands.find((c) => c.name() === 'send')!;
  let read: Record<string, unknown> = {};
  send.action((session: string, text: string, options: Record<string, unknown>) => { read = { ...options, session, text }; });
  await program.parseAsync([...args], { from: 'user' });
  return read;
}

const READ: ReadonlyArray<readonly string[]> = [
  ['send', 'chat-1', 'hello'],
  ['send', 'chat-1', 'hello world', '--wait'],
  ['send', '--wait', 'chat-1', 'hello', '--timeout', '2.5'],
  ['send', '-p', 'work', 'chat-1', 'hi', '--timeout=0'],
  ['send', 'chat-1', '--profile=bots', 'hi'],
  ['send', 'chat-1', ''],
  ['send', 'chat-1', '-'],
];

test('send command lines read without commander', () => {
  assert.deepEqual(parseSendCommand(['send', 'chat-1', 'hello']), { profile: 'default', session: 'chat-1', text: 'hello', timeout: DEFAULT_WAIT_MS });
  assert.deepEqual(parseSendCommand(['send', '-p', 'work', 'chat-1', 'hi', '--wait', '--timeout', '2.5']), { profile: 'work', session: 'chat-1', text: 'hi', timeout: 2_500, wait: true });
});

test('what the fast path reads, commander reads the same', async () => {
  for (const args of READ) {
    const fast = parseSendCommand(args);
    assert.notEqual(fast, null, args.join(' '));
    assert.deepEqual({ ...fast }, await commanderReads(args), args.join(' '));
  }
});

test('anything else goes to the full CLI, which explains it', () => {
  const others = [[], ['status'], ['send'], ['send', 'chat-1'], ['send', 'a', 'b', 'c'], ['send', '--help'], ['send', 'a', 'b', '-h'], ['send', 'a', 'b', '--wiat'],
    ['send', 'a', 'b', '--timeout', 'x'], ['send', 'a', 'b', '--timeout', '-1'], ['send', 'a', 'b', '--timeout'], ['send', 'a', '-1'], ['send', '--', 'a', '-b'], ['send', 'a', 'b', '--wait=no']];
  for (const args of others) assert.equal(parseSendCommand(args), null, args.join(' '));
  const missing = spawnSync(process.execPath, [CLI, 'send', 'chat-1'], { encoding: 'utf8' });
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /missing required argument 'text'/);
  const badTimeout = spawnSync(process.execPath, [CLI, 'send', 'a', 'b', '--timeout', 'x'], { encoding: 'utf8' });
  assert.equal(badTimeout.status, 2, badTimeout.stderr);
  assert.match(badTimeout.stderr, /expected a number of seconds/);
});

test('a `--` anywhere, after the arguments too, is left to the full CLI, which reads what follows it as arguments', async () => {
  for (const args of [['send', 'a', 'b', '--'], ['send', 'a', '--', 'b'], ['send', '--wait', '--', 'a', 'b']]) {
    assert.equal(parseSendCommand(args), null, args.join(' '));
    assert.equal((await commanderReads(args)).text, 'b', args.join(' '));
  }
});
