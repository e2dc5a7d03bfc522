// `start` read without commander (src/cli/start-command.ts): exactly the command lines it can read
// as the full CLI would, and null for anything the full CLI must explain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStartCommand, secondsToMs } from '../../src/cli/start-command.js';
import { DEFAULT_START_TIMEOUT_MS } from '../../src/control/start-defaults.js';
import { assertReadAsCommander } from './commander-reads.js';

test('start command lines read without commander', () => {
  assert.deepEqual(parseStartCommand(['start']), { profile: 'default', timeout: DEFAULT_START_TIMEOUT_MS });
  assert.deepEqual(parseStartCommand(['start', '-p', 'work', '--timeout', '2.5', '--json']), { profile: 'work', timeout: 2_500, json: true });
  assert.deepEqual(parseStartCommand(['start', '--profile=bots', '--timeout=0']), { profile: 'bots', timeout: 0 });
});

test('anything else goes to the full CLI, which explains it', () => {
  for (const args of [['start', '--help'], ['start', '-h'], ['start', '--timout', '3'], ['start', 'extra'], ['start', '--timeout', 'x'], ['start', '--timeout', '-1'], ['start', '--timeout'], ['stop'], []]) {
    assert.equal(parseStartCommand(args), null, args.join(' '));
  }
  assert.equal(secondsToMs('1e400'), null);
  assert.equal(secondsToMs('0.0004'), 0);
});

test('what the fast path reads, commander reads the same', async () => {
  const read: ReadonlyArray<readonly string[]> = [['start'], ['start', '--json'], ['start', '-p', 'work', '--timeout', '2.5', '--json'], ['start', '--profile=bots', '--timeout=0'], ['start', '-pwork'],
    ['start', '--timeout', '1', '--timeout', '2'], ['start', '--timeout', '1e3'], ['start', '--']];
  await assertReadAsCommander(parseStartCommand, read);
});
