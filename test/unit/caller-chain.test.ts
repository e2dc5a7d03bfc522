// Who the updater is, past the wrappers: process chains as they are on Linux and Windows (argv as
// /proc/PID/cmdline and the PEB give them; npm rewrites its own title to "npm exec ...").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseCaller, classifyAncestor } from '../../src/platform/caller-chain.js';
import type { ProcessRow } from '../../src/platform/discovery.js';

const ENTRY = '/opt/gatehouse/dist/src/cli/main.js';
const NODE = '/opt/gatehouse/node_modules/node/bin/node';

/** rows[0] is us; each next row is the parent of the one before. */
function chain(...argvs: string[][]): ProcessRow[] {
  return argvs.map((argv, i) => ({ pid: 100 + i, ppid: i + 1 < argvs.length ? 101 + i : 1, argv }));
}
const US = [NODE, '/opt/gatehouse/bin/gatehouse.js', 'update-respawn'];

function callerOf(rows: ProcessRow[]): string[] | null {
  return chooseCaller(rows, 100, ENTRY).caller?.argv.slice() ?? null;
}

test('npx from a Node updater (execSync): the updater, past sh -c, npm exec and sh -c', () => {
  const updater = ['node', '/srv/update.mjs'];
  // npm's new title leaves the rest of its old argv area as empty strings in /proc/PID/cmdline.
  const rows = chain(US, ['sh', '-c', 'gatehouse update-respawn'], ['npm exec gatehouse update-respawn', '', '', ''], ['/bin/sh', '-c', 'npx gatehouse update-respawn'], updater, ['-bash']);
  assert.deepEqual(callerOf(rows), updater);
  assert.deepEqual(chooseCaller(rows, 100, ENTRY).chain.map((a) => a.kind), ['wrapper', 'wrapper', 'wrapper', 'updater']);
});

test('npx from a shell script: the script; from an older npm that keeps its argv: the same', () => {
  const script = ['/bin/sh', './update.sh'];
  assert.deepEqual(callerOf(chain(US, ['sh', '-c', 'gatehouse update-respawn'], ['npm exec gatehouse update-respawn'], script, ['-zsh'])), script);
  assert.deepEqual(callerOf(chain(US, ['sh', '-c', 'gatehouse update-respawn'], ['/usr/bin/node', '/usr/lib/node_modules/npm/bin/npx-cli.js', 'gatehouse', 'update-respawn'], script)), script);
  assert.deepEqual(callerOf(chain(US, ['/usr/bin/node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'exec', '--', 'gatehouse', 'update-respawn'], ['bash', '-e', 'update.sh'])), ['bash', '-e', 'update.sh']);
});

test('a shell -c with more to do after this command is the updater itself', () => {
  const shell = ['/bin/sh', '-c', 'npx gatehouse update-respawn && npm i -g gatehouse@latest'];
  assert.deepEqual(callerOf(chain(US, ['sh', '-c', 'gatehouse update-respawn'], ['npm exec gatehouse update-respawn'], shell, ['cron'])), shell);
  assert.equal(classifyAncestor({ pid: 5, ppid: 1, argv: ['bash', '-lc', 'x; y'] }, ENTRY).kind, 'updater');
  assert.equal(classifyAncestor({ pid: 5, ppid: 1, argv: ['bash', '-lc', 'x'] }, ENTRY).kind, 'wrapper');
  assert.equal(classifyAncestor({ pid: 5, ppid: 1, argv: ['sh', '-c', 'x &'] }, ENTRY).kind, 'updater');
});

test('an npm install that runs update-respawn from a package script is the updater', () => {
  const install = ['npm install -g gatehouse@latest'];
  assert.deepEqual(callerOf(chain(US, ['sh', '-c', 'gatehouse update-respawn'], install, ['-bash'])), install);
});

test('npm run typed in a terminal: npm (the outermost wrapper below the interactive shell)', () => {
  const npmRun = ['npm run update'];
  assert.deepEqual(callerOf(chain(US, ['sh', '-c', 'gatehouse update-respawn'], npmRun, ['-bash'], ['/usr/sbin/sshd', '-D'])), npmRun);
});

test('typed by hand in an interactive shell: that shell, as before', () => {
  assert.deepEqual(callerOf(chain(US, ['-bash'], ['login'])), ['-bash']);
  assert.deepEqual(callerOf(chain(US, ['/bin/zsh', '-l'])), ['/bin/zsh', '-l']);
});

test("run by a gateway's own agent: the agent's command, never the gateway that runs it", () => {
  const worker = [NODE, ENTRY, 'run', '--profile', 'default'];
  assert.deepEqual(callerOf(chain(US, ['sh', '-c', 'gatehouse update-respawn'], ['npm exec gatehouse update-respawn'], worker)), ['npm exec gatehouse update-respawn']);
  assert.equal(callerOf(chain(US, worker)), null, 'the agent ran it directly: nobody to wait for');
});

test('Windows: node.exe past cmd.exe /c, npx-cli.js and the npx.cmd shim', () => {
  const updater = ['C:\\Tools\\updater.exe', '--apply'];
  const rows = chain(
    ['C:\\gh\\node.exe', 'C:\\gh\\bin\\gatehouse.js', 'update-respawn'],
    ['C:\\Windows\\system32\\cmd.exe', '/d', '/s', '/c', 'gatehouse update-respawn'],
    ['C:\\Program Files\\nodejs\\node.exe', 'C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npx-cli.js', 'gatehouse', 'update-respawn'],
    ['C:\\WINDOWS\\system32\\cmd.exe', '/d', '/s', '/c', '"C:\\Program Files\\nodejs\\npx.cmd" gatehouse update-respawn'],
    updater,
  );
  assert.deepEqual(callerOf(rows), updater);
  assert.equal(classifyAncestor({ pid: 5, ppid: 1, argv: ['cmd.exe', '/c', 'npx gatehouse update-respawn & del x'] }, ENTRY).kind, 'updater');
  assert.equal(classifyAncestor({ pid: 5, ppid: 1, argv: ['cmd.exe', '/c', 'echo a^&b'] }, ENTRY).kind, 'wrapper');
  assert.equal(classifyAncestor({ pid: 5, ppid: 1, argv: ['cmd.exe', '/k'] }, ENTRY).kind, 'interactive');
});

test('an ancestor that cannot be read ends the walk at what is known', () => {
  const rows = chain(US, ['sh', '-c', 'gatehouse update-respawn'], ['npm exec gatehouse update-respawn']);
  const partial: ProcessRow[] = [...rows.slice(0, 2), { ...(rows[2] as ProcessRow), ppid: 999 }];
  assert.deepEqual(callerOf(partial), ['npm exec gatehouse update-respawn'], 'the outermost wrapper whose parent is unknown');
  assert.deepEqual(chooseCaller([{ pid: 100, ppid: 555, argv: US }], 100, ENTRY).chain, [], 'nothing known: the caller falls back to the parent');
});
