// The native Windows process list that discovery uses, on real processes (node.exe under Wine in
// CI): Toolhelp for pids and parents, each command line and GATEHOUSE_HOME from the process's PEB
// (Wine 8 has no ProcessCommandLineInformation). A monitor-like child is found by discovery; one
// whose home differs, and the caller itself, are not.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { ancestorsOf, findGatewayMonitors } from '../../src/platform/discovery.js';
import { win32 } from '../../src/platform/win32.js';
import { listNatively, readProcessParameters } from '../../src/platform/win32-processes.js';
import { skipUnlessWin32, waitFor } from './win32-helpers.js';

const ENTRY = 'C:\\some dir\\gatehouse\\main.js';
const HOME = 'C:\\Users\\Ann Lee\\gatehouse "home"';

function child(args: readonly string[], home: string): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', ...args], {
    stdio: 'ignore', windowsHide: true, env: { ...process.env, GATEHOUSE_HOME: home },
  });
}

test('the native list gives every process its argv, parent and GATEHOUSE_HOME; discovery finds the right one', { skip: skipUnlessWin32, timeout: 60_000 }, async (t) => {
  const ours = child([ENTRY, 'run', '--profile', 'x y'], HOME);
  const otherHome = child([ENTRY, 'run', '--profile', 'x y'], 'C:\\elsewhere');
  t.after(() => { ours.kill(); otherHome.kill(); });
  await Promise.all([ours, otherHome].map((c) => new Promise((resolve) => c.once('spawn', resolve))));

  const self = readProcessParameters(process.pid) ?? assert.fail('this process\'s own parameters are readable');
  assert.match(self.commandLine, /node(\.exe)?"? /i);
  const list = await waitFor('both children in the native list', 20_000, () => {
    const l = listNatively();
    return l !== null && [ours.pid, otherHome.pid].every((pid) => l.rows.some((r) => r.pid === pid && r.argv.includes(ENTRY))) ? l : undefined;
  });
  assert.match(list.source, /Toolhelp/);
  const row = list.rows.find((r) => r.pid === ours.pid) ?? assert.fail('our child is listed');
  assert.deepEqual(row.argv.slice(1), ['-e', 'setTimeout(() => {}, 60000)', ENTRY, 'run', '--profile', 'x y'], 'the argv node.exe was given');
  assert.equal(row.ppid, process.pid);
  assert.equal(row.gatehouseHome, HOME, 'the environment, read from the PEB');
  assert.equal(list.rows.find((r) => r.pid === otherHome.pid)?.gatehouseHome, 'C:\\elsewhere');

  const platformList = win32.processRows() ?? assert.fail('win32.processRows answers');
  assert.equal(platformList.source, list.source, 'the native path is the one taken');
  const found = findGatewayMonitors(platformList.rows, {
    entryScript: ENTRY.toUpperCase(), profile: 'x y', home: HOME.toLowerCase(), defaultHome: 'C:\\nowhere',
    caseInsensitive: true, exclude: ancestorsOf(process.pid, platformList.rows),
  });
  assert.deepEqual(found.map((r) => r.pid), [ours.pid], 'our home only, paths compared case-insensitively');
  assert.ok(ancestorsOf(process.pid, platformList.rows).has(process.pid));
  assert.match(readProcessParameters(ours.pid!)?.commandLine ?? '', /main\.js" run --profile "x y"$/);
});
