// `status` read without commander (src/cli/status-command.ts): exactly the command lines it can read,
// read as the full CLI reads them (checked against commander's own parse of the same line), and
// null for anything the full CLI must explain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildProgram } from '../../src/cli/program.js';
import { parseStatusCommand } from '../../src/cli/status-command.js';
import { CLI } from '../e2e/harness.js';
import { assertReadAsCommander } from './commander-reads.js';

/** What commander makes of `args` for the status command, its action left out. */
async function commanderReads(args: readonly string[]): Promise<Record<string, unknown>> {
  const program = buildProgram();
  const status = program.commands.find((c) => c.name() === 'status')!;
  status.action(() => undefined);
  await program.parseAsync([...args], { from: 'user' });
  return { ...status.opts() };
}

const READ: ReadonlyArray<readonly string[]> = [
  ['status'],
  ['status', '--json'],
  ['status', '--deep'],
  ['status', '-p', 'work', '--deep', '--json'],
  ['status', '--profile=bots', '--json'],
  ['status', '--profile', 'a', '--profile', 'b'],
  ['status', '-pwork'],
  ['status', '--json', '--json'],
];

test('status command lines read without commander', () => {
  assert.deepEqual(parseStatusCommand(['status']), { profile: 'default' });
  assert.deepEqual(parseStatusCommand(['status', '--json']), { profile: 'default', json: true });
  assert.deepEqual(parseStatusCommand(['status', '-p', 'work', '--deep', '--json']), { profile: 'work', deep: true, json: true });
  assert.deepEqual(parseStatusCommand(['status', '--profile=bots']), { profile: 'bots' });
});

test('what the fast path reads, commander reads the same', async () => {
  for (const args of READ) {
    const fast = parseStatusCommand(args);
    assert.notEqual(fast, null, args.join(' '));
    assert.deepEqual({ ...fast }, await commanderReads(args), args.join(' '));
  }
});

test('anything else goes to the full CLI, which explains it', () => {
  for (const args of [[], ['send'], ['start'], ['status', '--help'], ['status', '-h'], ['status', '--jsno'], ['status', 'extra'], ['status', '--profile'], ['status', '--json=yes'], ['status', '-p', '-x'], ['status', '--', 'x']]) {
    assert.equal(parseStatusCommand(args), null, args.join(' '));
  }
  const help = spawnSync(process.execPath, [CLI, 'status', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--deep/);
  const typo = spawnSync(process.execPath, [CLI, 'status', '--jsno'], { encoding: 'utf8' });
  assert.equal(typo.status, 2, typo.stderr);
  assert.match(typo.stderr, /unknown option '--jsno'/);
});

test('a `--` that ends the options with nothing after it is read, as commander reads it', async () => {
  await assertReadAsCommander(parseStatusCommand, [['status', '--'], ['status', '--json', '--']]);
});
