// Full restarts under the real JScript launcher (wscript.exe under Wine, started the way the task
// starts it): the monitor exits 75 and the launcher starts the new one at once, as its own child, so
// the gateway stays under the task (or the Startup entry) instead of waiting for the task's 5-minute
// trigger: `restart --full` and POST /v1/admin/restart?full=1 (update-respawn and the loop itself are in
// launcher-loop.test.ts).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { readToken } from '../../src/gateway/token.js';
import { gatewayHome, http, lifecycleEvents, readJson, runCli } from './gateway-helpers.js';
import { assertUnderLauncher, cleanup, exitCodesOf, launcherEnv, specFor, waitReplaced, waitUp, writeLauncher, wscript, type StateJson } from './launcher-helpers.js';
import { skipUnlessWin32, waitForExit } from './win32-helpers.js';

const CLI_TIMEOUT_MS = 150_000;

test('under the launcher, restart --full and POST /v1/admin/restart?full=1 each come back at once as the launcher\'s own child, once', { skip: skipUnlessWin32, timeout: 600_000 }, async () => {
  const { home, profileDir } = gatewayHome('lr-full', { api: { port: 0 } });
  const children: ChildProcess[] = [];
  try {
    const host = wscript(['//B', '//Nologo', writeLauncher(profileDir, specFor(home, profileDir))], launcherEnv(home));
    children.push(host);
    const exited = waitForExit(host, CLI_TIMEOUT_MS * 4);
    const first = await waitUp(profileDir, 'launcher', host);
    assertUnderLauncher(first, host, 'at start');

    const restarted = await runCli(home, ['restart', '--full'], CLI_TIMEOUT_MS);
    assert.equal(restarted.code, 0, restarted.stdout + restarted.stderr);
    assert.match(restarted.stdout, new RegExp(`restarted \\(pid ${first.pid} -> \\d+, via service-manager\\)`));
    const second = await waitReplaced(profileDir, first, host);
    assertUnderLauncher(second, host, 'after restart --full');

    const api = readJson<StateJson>(join(profileDir, 'state.json')).api?.url ?? assert.fail('no API url');
    const asked = await http('POST', `${api}/v1/admin/restart?full=1`, { token: readToken(join(profileDir, 'token')) ?? assert.fail('no token') });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const third = await waitReplaced(profileDir, second, host);
    assertUnderLauncher(third, host, 'after POST /v1/admin/restart?full=1');

    assert.deepEqual(exitCodesOf(profileDir), [75, 75], 'each old monitor drained and exited 75 (the restart code the launcher honours)');
    assert.equal(lifecycleEvents(profileDir).filter((e) => e.event === 'start').length, 3, 'three monitors in all: one per restart, no extra');
    const stop = await runCli(home, ['stop'], CLI_TIMEOUT_MS);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    assert.equal(await exited, 0, 'a planned stop still ends the launcher with 0');
  } finally {
    cleanup(profileDir, children);
  }
});

