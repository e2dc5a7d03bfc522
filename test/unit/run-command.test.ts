// The gateway processes' command line, read without commander: exactly what `run` accepts, and
// nothing else (which the full CLI then explains).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseRunCommand } from '../../src/cli/run-command.js';
import { CLI } from '../e2e/harness.js';
import { assertReadAsCommander } from './commander-reads.js';

test('parseRunCommand reads run, its profile, home and --replace in every spelling commander takes', () => {
  assert.deepEqual(parseRunCommand(['run']), { profile: 'default' });
  assert.deepEqual(parseRunCommand(['run', '--profile', 'work', '--home', '/h']), { profile: 'work', home: '/h' });
  assert.deepEqual(parseRunCommand(['run', '-p', 'work', '--replace']), { profile: 'work', replace: true });
  assert.deepEqual(parseRunCommand(['run', '--profile=work', '--home=/h']), { profile: 'work', home: '/h' });
});

test('anything else is left to the full CLI', () => {
  for (const args of [[], ['start'], ['status', 'run'], ['run', '--help'], ['run', '-h'], ['run', '--bogus'], ['run', 'extra'], ['run', '--profile'], ['run', '--replace=yes']]) {
    assert.equal(parseRunCommand(args), null, args.join(' '));
  }
});

test('the full CLI still explains run: --help prints its options, an unknown option is a usage error', () => {
  const help = spawnSync(process.execPath, [CLI, 'run', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--replace/);
  const bogus = spawnSync(process.execPath, [CLI, 'run', '--bogus'], { encoding: 'utf8' });
  assert.equal(bogus.status, 2, bogus.stderr);
  assert.match(bogus.stderr, /unknown option '--bogus'/);
});

test('what the fast path reads, commander reads the same', async () => {
  const read: ReadonlyArray<readonly string[]> = [['run'], ['run', '--replace'], ['run', '-p', 'work', '--home', '/h', '--replace'], ['run', '--profile=work', '--home=/h'], ['run', '-pwork'],
    ['run', '--home', 'a', '--home', 'b'], ['run', '--replace', '--replace'], ['run', '--']];
  await assertReadAsCommander(parseRunCommand, read);
});
