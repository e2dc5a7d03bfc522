// The Windows watchdog's launcher, for real under Wine's wscript.exe, started the way its task's
// time trigger starts it: it runs `gatehouse alert --check` hidden and quits with its code; for a
// gateway killed without an exit record (taskkill /F of its tree) it raises gateway_down to a
// local webhook receiver once, and the revived gateway resolves it. (The task's minute trigger
// itself cannot run here: Wine 8 runs no scheduled tasks.)
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { killProcessTree } from '../../src/runtime/process-tree.js';
import { win32 } from '../../src/platform/win32.js';
import { renderWatchdogLauncher, WATCHDOG_LAUNCHER_FILE } from '../../src/service/windows-watchdog.js';
import { WebhookReceiver } from '../e2e/webhook-receiver.js';
import { gatewayHome, readJson, runCli } from './gateway-helpers.js';
import { launcherEnv, specFor, wscript, type PidRecord } from './launcher-helpers.js';
import { skipUnlessWin32, waitForExit } from './win32-helpers.js';

const CLI_TIMEOUT_MS = 150_000;
const CHECK_TIMEOUT_MS = 120_000;

test('the watchdog launcher under wscript: gateway_down once for a killed gateway, resolved by its revival', { skip: skipUnlessWin32, timeout: 900_000 }, async (t) => {
  const receiver = await new WebhookReceiver().start();
  t.after(() => receiver.stop());
  const { home, profileDir } = gatewayHome('wd', { api: { port: 0 }, alerts: { webhook: receiver.url, downAfterMs: 1_000 } });
  const launcher = join(profileDir, WATCHDOG_LAUNCHER_FILE);
  writeFileSync(launcher, renderWatchdogLauncher(specFor(home, profileDir)));
  // What the task's action runs (less //E:JScript, which Wine refuses: see launchers.test.ts).
  const check = async (): Promise<number | null> => waitForExit(wscript(['//B', '//Nologo', launcher], launcherEnv(home)), CHECK_TIMEOUT_MS);
  let monitor: PidRecord | null = null;
  try {
    const started = await runCli(home, ['start'], CLI_TIMEOUT_MS);
    assert.equal(started.code, 0, started.stdout + started.stderr);
    monitor = readJson<PidRecord>(join(profileDir, 'gatehouse.pid'));
    assert.equal(await check(), 0, 'the check passes its exit code through: 0');
    assert.deepEqual(receiver.states('gateway_down'), []);

    assert.ok(killProcessTree(monitor, 'SIGKILL') >= 1, 'the gateway killed');
    assert.equal(await check(), 0); // the first look starts the clock
    await sleep(1_500);
    assert.equal(await check(), 0);
    assert.equal(await check(), 0);
    assert.deepEqual(receiver.states('gateway_down'), ['firing'], 'raised once, sent by the check itself');
    const body = receiver.received.find((a) => a.gatehouse.incident === 'gateway_down');
    assert.match(body?.message ?? '', /not answering since/);

    const revived = await runCli(home, ['start'], CLI_TIMEOUT_MS);
    assert.equal(revived.code, 0, revived.stdout + revived.stderr);
    monitor = readJson<PidRecord>(join(profileDir, 'gatehouse.pid'));
    assert.equal(await check(), 0);
    const deadline = Date.now() + CHECK_TIMEOUT_MS;
    while (receiver.states('gateway_down').length < 2 && Date.now() < deadline) await sleep(250);
    assert.deepEqual(receiver.states('gateway_down'), ['firing', 'resolved']);
  } finally {
    if (monitor !== null && win32.matchesIdentity(monitor)) killProcessTree(monitor, 'SIGKILL');
  }
});
