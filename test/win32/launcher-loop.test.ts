// The launcher's restart loop, continued (launcher-restart.test.ts has restart --full and the API;
// each file must finish within the suite's per-file bound): `update-respawn` under the real launcher,
// then the loop itself with a stand-in for node's entry script: other exit codes pass through, the
// hold and the crash-loop guard end it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { terminate } from '../../src/platform/win32.js';
import { AUTOSTART_HOLD_FILE } from '../../src/service/windows-launcher.js';
import { gatewayHome, runCli } from './gateway-helpers.js';
import { assertUnderLauncher, cleanup, exitCodesOf, launcherEnv, specFor, STEP_TIMEOUT_MS, waitReplaced, waitUp, writeLauncher, wscript } from './launcher-helpers.js';
import { nodeSnippet, skipUnlessWin32, tempDir, waitForExit } from './win32-helpers.js';

const CLI_TIMEOUT_MS = 150_000;

test('under the launcher, update-respawn brings the gateway back through a full restart, still under the launcher', { skip: skipUnlessWin32, timeout: 600_000 }, async () => {
  const { home, profileDir } = gatewayHome('lr-update', { api: { port: 0 } });
  const children: ChildProcess[] = [];
  try {
    const host = wscript(['//B', '//Nologo', writeLauncher(profileDir, specFor(home, profileDir))], launcherEnv(home));
    children.push(host);
    const first = await waitUp(profileDir, 'launcher', host);
    const updater = nodeSnippet('setInterval(() => {}, 1000);', { detached: true });
    children.push(updater);
    const armed = await runCli(home, ['update-respawn', '--caller-pid', String(updater.pid)], CLI_TIMEOUT_MS);
    assert.equal(armed.code, 0, armed.stdout + armed.stderr);
    assert.match(armed.stdout, /respawn armed/);
    terminate(updater.pid ?? assert.fail('no updater pid')); // the updater is done
    const next = await waitReplaced(profileDir, first, host);
    assertUnderLauncher(next, host, 'after update-respawn');
    assert.deepEqual(exitCodesOf(profileDir), [75]);
  } finally {
    cleanup(profileDir, children);
  }
});

/**
 * A stand-in for gatehouse's entry script, run by the real launcher with the real node.exe: each
 * run appends to runs.txt and exits with the next code of `codes` (the last one repeats); with
 * `holdAfterFirst` its first run also writes the autostart hold, as `gatehouse stop` would.
 */
function exitSequence(profileDir: string, codes: readonly number[], holdAfterFirst = false): { entry: string; runs: () => number } {
  const dir = tempDir('lr-seq');
  const runs = join(dir, 'runs.txt');
  const entry = join(dir, 'entry.js');
  const hold = holdAfterFirst ? join(profileDir, AUTOSTART_HOLD_FILE) : null;
  writeFileSync(entry, [
    "const fs = require('fs');",
    `fs.appendFileSync(${JSON.stringify(runs)}, 'x');`,
    `const n = fs.readFileSync(${JSON.stringify(runs)}, 'utf8').length;`,
    `const codes = ${JSON.stringify(codes)};`,
    hold === null ? '' : `fs.writeFileSync(${JSON.stringify(hold)}, 'held');`,
    'process.exit(codes[Math.min(n, codes.length) - 1]);',
    '',
  ].join('\n'));
  return { entry, runs: () => (existsSync(runs) ? readFileSync(runs, 'utf8').length : 0) };
}

test('the launcher loop: 75 runs node again, any other code passes through, the hold ends it, the crash-loop guard quits 75', { skip: skipUnlessWin32, timeout: 600_000 }, async () => {
  const cases: Array<{ what: string; codes: number[]; hold?: boolean; exit: number; runs: number }> = [
    { what: '75, then a planned stop', codes: [75, 0], exit: 0, runs: 2 },
    { what: '75, 75, then a crash', codes: [75, 75, 1], exit: 1, runs: 3 },
    { what: 'a bad config is not restarted', codes: [78, 0], exit: 78, runs: 1 },
    { what: '75 while a stop holds the autostart', codes: [75, 0], hold: true, exit: 0, runs: 1 },
    { what: '75 for ever: the guard gives up after 2 restarts', codes: [75], exit: 75, runs: 3 },
  ];
  for (const c of cases) {
    const { home, profileDir } = gatewayHome('lr-loop', { api: { port: 0 } });
    const seq = exitSequence(profileDir, c.codes, c.hold === true);
    // A window far longer than the test: the guard's count decides, not the clock.
    const launcher = writeLauncher(profileDir, specFor(home, profileDir, { entryScript: seq.entry }), { limit: 2, windowMs: 3_600_000 });
    const host = wscript(['//B', '//Nologo', launcher], launcherEnv(home));
    assert.equal(await waitForExit(host, STEP_TIMEOUT_MS * 2), c.exit, `${c.what}: the launcher's exit code`);
    assert.equal(seq.runs(), c.runs, `${c.what}: how many times node ran`);
  }
});
