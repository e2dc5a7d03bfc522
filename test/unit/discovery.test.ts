// Discovery by command line: the pure matcher, and on Linux a real process list from /proc.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { ancestorsOf, findGatewayMonitors, homeArgOf, runsProfile, type GatewayQuery, type ProcessRow } from '../../src/platform/discovery.js';
import { linux } from '../../src/platform/posix.js';
import { isLinux, killQuietly, tempDir, waitFor } from './helpers.js';

const ENTRY = '/opt/gatehouse/dist/src/cli/main.js';
const query: GatewayQuery = { entryScript: ENTRY, profile: 'work', home: '/h/mine', defaultHome: '/home/u/.local/share/gatehouse', caseInsensitive: false, exclude: new Set() };
const row = (pid: number, ppid: number, argv: string[], gatehouseHome: string | null | 'unreadable' = '/h/mine'): ProcessRow =>
  ({ pid, ppid, argv, gatehouseHome: gatehouseHome === 'unreadable' ? undefined : gatehouseHome });

test('runsProfile recognises `<entry> run` for one profile, in every spelling of --profile', () => {
  assert.equal(runsProfile(['/usr/bin/node', ENTRY, 'run', '--profile', 'work'], query), true);
  assert.equal(runsProfile(['/usr/bin/node', '--enable-source-maps', ENTRY, 'run', '--profile=work'], query), true);
  assert.equal(runsProfile(['/usr/bin/node', ENTRY, 'run', '--profile', 'other'], query), false);
  assert.equal(runsProfile(['/usr/bin/node', ENTRY, 'run'], query), false, 'no --profile is the default profile');
  assert.equal(runsProfile(['/usr/bin/node', ENTRY, 'run'], { ...query, profile: 'default' }), true);
  assert.equal(runsProfile(['/usr/bin/node', ENTRY, 'status', '--profile', 'work'], query), false);
  assert.equal(runsProfile(['/usr/bin/node', '/elsewhere/main.js', 'run', '--profile', 'work'], query), false);
  assert.equal(runsProfile(['/usr/bin/vim', 'main.js', 'run', '--profile', 'work'], query), false, 'a relative path is not the entry');
  assert.equal(runsProfile(['/usr/bin/node', ENTRY.toUpperCase(), 'run', '--profile', 'work'], { ...query, entryScript: ENTRY.toUpperCase().toLowerCase(), caseInsensitive: true }), true);
  assert.equal(runsProfile(['/usr/bin/node', ENTRY.toUpperCase(), 'run', '--profile', 'work'], query), false);
});

test('findGatewayMonitors keeps monitors of this profile and home, never workers, strangers or ancestors', () => {
  const monitorArgv = ['/usr/bin/node', ENTRY, 'run', '--profile', 'work'];
  const rows = [
    row(100, 1, monitorArgv),
    row(101, 100, monitorArgv), // its worker: same argv, parent matches
    row(200, 1, monitorArgv, '/h/other'), // another home
    row(300, 1, monitorArgv, 'unreadable'), // another user's: not claimed
    row(400, 1, ['/usr/bin/node', ENTRY, 'run', '--profile', 'play']),
    row(500, 1, monitorArgv, null), // no GATEHOUSE_HOME: the default home
  ];
  assert.deepEqual(findGatewayMonitors(rows, query).map((r) => r.pid), [100]);
  assert.deepEqual(findGatewayMonitors(rows, { ...query, home: query.defaultHome }).map((r) => r.pid), [500]);
  assert.deepEqual(findGatewayMonitors(rows, { ...query, exclude: new Set([100]) }).map((r) => r.pid), []);
  assert.deepEqual([...ancestorsOf(7, [{ pid: 7, ppid: 5 }, { pid: 5, ppid: 1 }, { pid: 1, ppid: 0 }, { pid: 9, ppid: 7 }])].sort(), [1, 5, 7]);
});

test('a monitor run through the bin script is the monitor; its worker (the entry itself) is not', () => {
  const BIN = '/opt/gatehouse/bin/gatehouse.js';
  const rows = [
    row(100, 1, ['/usr/bin/node', BIN, 'run', '--profile', 'work']),
    row(101, 100, ['/usr/bin/node', ENTRY, 'run', '--profile', 'work']),
  ];
  assert.deepEqual(findGatewayMonitors(rows, { ...query, launchers: [BIN] }).map((r) => r.pid), [100]);
  assert.deepEqual(findGatewayMonitors(rows, query).map((r) => r.pid), [101], 'without the launcher the worker looks like a monitor: the bug this guards');
});

test('on Linux, /proc gives the real monitor and not its worker', { skip: isLinux ? false : 'Linux only' }, async (t) => {
  const home = tempDir(t);
  const entry = '/nonexistent/gatehouse/main.js';
  // A fake monitor (`node -e CODE ENTRY run --profile work`) that starts a fake worker with the same argv.
  const code = `const { spawn } = require('node:child_process');
    const w = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', ...process.argv.slice(1)], { stdio: 'ignore' });
    console.log(w.pid); setTimeout(() => {}, 60000);`;
  const monitor = spawn(process.execPath, ['-e', code, entry, 'run', '--profile', 'work'], { env: { ...process.env, GATEHOUSE_HOME: home }, stdio: ['ignore', 'pipe', 'ignore'] });
  let workerPid: number | undefined;
  t.after(() => { killQuietly(workerPid); killQuietly(monitor.pid); });
  let out = '';
  monitor.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
  workerPid = Number(await waitFor('the fake worker', () => /^\d+\n/.exec(out)?.[0]));
  const rows = linux.processRows()?.rows ?? assert.fail('Linux lists processes');
  const q: GatewayQuery = { ...query, entryScript: entry, home, exclude: ancestorsOf(process.pid, rows) };
  // The worker runs the same command line: it is left out because its parent matches too.
  await waitFor('the worker to show its argv', () => (linux.processRows()?.rows ?? []).find((r) => r.pid === workerPid && runsProfile(r.argv, q)));
  const found = findGatewayMonitors(linux.processRows()?.rows ?? [], q).map((r) => r.pid);
  assert.deepEqual(found, [monitor.pid]);
  assert.deepEqual(findGatewayMonitors(linux.processRows()?.rows ?? [], { ...q, home: `${home}-other` }), []);
});

test('`run --home DIR` on the command line decides the home, before (and without) the environment', () => {
  const argv = (home?: string): string[] => ['C:\\node\\node.exe', ENTRY, 'run', '--profile', 'work', ...(home === undefined ? [] : ['--home', home])];
  const rows = [
    row(10, 1, argv('/h/mine'), 'unreadable'), // Windows without the PEB: the command line tells
    row(20, 1, argv('/h/other'), '/h/mine'), // --home wins over an environment that says ours
    row(30, 1, [...argv(), '--home=/h/mine'], null),
    row(40, 1, argv(), 'unreadable'), // neither: never claimed
  ];
  assert.deepEqual(findGatewayMonitors(rows, query).map((r) => r.pid), [10, 30]);
  assert.deepEqual(findGatewayMonitors([row(50, 1, argv('/H/MINE'), 'unreadable')], { ...query, caseInsensitive: true }).map((r) => r.pid), [50]);
  assert.equal(homeArgOf(['--profile', 'x', '--home', '/a', '--home=/b']), '/b', 'the last one wins, as commander does');
});
