// Full restarts under the real JScript launcher (wscript.exe under Wine, started the way the task
// starts it): the monitor exits 75 and the launcher starts the new one at once, as its own child, so
// the gateway stays under the task (or the Startup entry) instead of waiting for the task's 5-minute
// trigger. Each path: `restart --full`, POST /v1/admin/restart?full=1, `update-respawn`. Then the
// loop itself with a stand-in for node's entry script: other exit codes pass through, the hold and
// the crash-loop guard end it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hello } from '../../src/control/client.js';
import { readToken } from '../../src/gateway/token.js';
import { platform } from '../../src/platform/index.js';
import { terminate } from '../../src/platform/win32.js';
import { AUTOSTART_HOLD_FILE } from '../../src/service/windows-launcher.js';
import { gatewayHome, http, lifecycleEvents, readJson, runCli } from './gateway-helpers.js';
import { childrenOf, cleanup, launcherEnv, parentOf, specFor, STEP_TIMEOUT_MS, waitUp, writeLauncher, wscript, type StateJson } from './launcher-helpers.js';
import { nodeSnippet, skipUnlessWin32, tempDir, waitForExit } from './win32-helpers.js';

const CLI_TIMEOUT_MS = 150_000;

type Hello = Awaited<ReturnType<typeof waitUp>>;

/** A running monitor other than `old` (the one a restart replaced); fails if the launcher quits first. */
async function waitReplaced(profileDir: string, old: Hello, host: ChildProcess): Promise<Hello> {
  const address = platform.controlEndpoint(profileDir).address;
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const answer = await hello(address, 1_000);
    if (answer.ok && answer.data.state === 'running' && answer.data.instance !== old.instance) return answer.data;
    if (host.exitCode !== null) assert.fail(`wscript quit (exit ${host.exitCode}) instead of starting a new monitor`);
    if (Date.now() > deadline) assert.fail(`no new monitor answered within ${STEP_TIMEOUT_MS} ms after pid ${old.pid}`);
    await sleep(100);
  }
}

/** The new monitor is the launcher's child, the launcher's only one, and supervised. */
function assertUnderLauncher(monitor: Hello, host: ChildProcess, what: string): void {
  assert.equal(monitor.supervised, true, `${what}: started as the service`);
  assert.deepEqual(parentOf(monitor.pid), { pid: host.pid, exe: 'wscript.exe' }, `${what}: the new monitor is the launcher's child`);
  // node.exe only: Wine gives the hidden console its own conhost.exe child of wscript.
  const nodes = childrenOf(host.pid ?? -1).filter((c) => c.exe === 'node.exe').map((c) => c.pid);
  assert.deepEqual(nodes, [monitor.pid], `${what}: exactly one monitor under the launcher`);
  assert.equal(host.exitCode, null, `${what}: the launcher still runs`);
}

function exitCodesOf(profileDir: string): unknown[] {
  return lifecycleEvents(profileDir).filter((e) => e.event === 'exit').map((e) => e.code);
}

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
