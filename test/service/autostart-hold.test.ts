// The hold on the Windows autostart, with the real CLI and a real gateway on this OS, the Windows
// tracks installed into the profile directory against the stateful schtasks fake, and the Startup
// folder in the temp home. The fake's instance is the launcher: like the generated one (run for
// real under Wine in test/win32/launchers.test.ts) it starts nothing while the hold file exists.
// `gatehouse stop` holds it (so the repeating trigger does not undo the stop), even when nothing
// runs; `start` and `install` lift it; a stop that is not the user's (install's hand-over, `run
// --replace`) and a profile without the Windows autostart get no hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { installService } from '../../src/control/service-install.js';
import { stopGateway } from '../../src/control/stop.js';
import { autostartHoldPath, holdAutostart } from '../../src/service/autostart-hold.js';
import { SERVICE_DIR_ENV, type ServiceHost } from '../../src/service/select.js';
import { buildServiceSpec } from '../../src/service/spec.js';
import { taskName } from '../../src/service/task-xml.js';
import type { ServiceResult } from '../../src/service/types.js';
import { createWindowsBackend, MANIFEST_FILE } from '../../src/service/windows.js';
import { createWindowsStartupBackend } from '../../src/service/windows-startup.js';
import { createWindowsTaskBackend } from '../../src/service/windows-task.js';
import { TestHome } from '../e2e/harness.js';
import { FakeSchtasks } from './fake-schtasks.js';
import { FakeSystemctl } from './fake-systemctl.js';

const WIN_HOME = 'C:\\Users\\ana\\AppData\\Local\\gatehouse';
const TASK = taskName('default');

interface StopJson { ok: boolean; wasRunning: boolean; autostartHold?: string }

function windowsTracks(home: TestHome) {
  const paths = home.paths();
  const fake = new FakeSchtasks();
  let launched = 0;
  // The launcher: quits at once, starting nothing, while the hold file exists.
  fake.onInstanceStart = (name) => {
    if (existsSync(autostartHoldPath(paths.dir))) fake.instanceDied(name);
    else launched++;
  };
  const hooks = {
    profileDir: () => paths.dir,
    gatewayUp: async () => false,
    startDetached: async (): Promise<ServiceResult> => ({ ok: true, exitCode: 0, timedOut: false, detail: 'not used' }),
    sleep: async () => {},
  };
  const task = createWindowsTaskBackend({ ...hooks, userId: 'DESKTOP-1\\ana', run: fake.run });
  const startup = createWindowsStartupBackend({ ...hooks, startupDir: home.env()[SERVICE_DIR_ENV.STARTUP_DIR] as string });
  const backend = createWindowsBackend({ task, startup, profileDir: hooks.profileDir, stopAutostarted: async (): Promise<ServiceResult> => ({ ok: true, exitCode: 0, timedOut: false, detail: 'no gateway running' }) });
  const spec = buildServiceSpec({
    nodePath: 'C:\\Program Files\\nodejs\\node.exe', entryScript: 'C:\\gh\\dist\\src\\cli\\main.js', home: WIN_HOME,
    workingDirectory: `${WIN_HOME}\\profiles\\default`, logDir: `${WIN_HOME}\\profiles\\default\\logs`,
  });
  /** The task's repeating trigger fires: did the launcher start the gateway? (Its instance is ended after.) */
  const trigger = (): boolean => {
    const before = launched;
    assert.ok(fake.run('schtasks', ['/Run', '/TN', TASK], { timeoutMs: 1 }).ok);
    fake.run('schtasks', ['/End', '/TN', TASK], { timeoutMs: 1 });
    return launched > before;
  };
  return { backend, spec, trigger };
}

async function stopJson(home: TestHome, profile = 'default'): Promise<StopJson> {
  const result = await home.cli(['stop', '--json', '--profile', profile]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return JSON.parse(result.stdout) as StopJson;
}

test('gatehouse stop holds the Windows autostart (the repeating trigger starts nothing), even when not running; gatehouse start lifts it', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const hold = autostartHoldPath(home.paths().dir);
  const { backend, spec, trigger } = windowsTracks(home);
  const installed = await backend.install(spec, { start: false, login: true });
  assert.ok(installed.ok, installed.detail);
  assert.ok(existsSync(join(home.paths().dir, MANIFEST_FILE)));
  assert.equal(trigger(), true, 'installed and not held: the trigger starts it');

  await home.start();
  const stopped = await stopJson(home);
  assert.deepEqual([stopped.ok, stopped.wasRunning, stopped.autostartHold], [true, true, hold]);
  assert.ok(existsSync(hold));
  assert.equal(trigger(), false, 'held: the launcher starts nothing');

  const again = await stopJson(home);
  assert.deepEqual([again.wasRunning, again.autostartHold], [false, hold], 'not running: held all the same');

  await home.start();
  assert.equal(existsSync(hold), false, 'start lifted the hold');
  assert.equal(trigger(), true);

  // A stop that precedes a start (install's hand-over, run --replace, a respawn) does not hold.
  const notHeld = await stopGateway(home.paths(), { timeoutMs: 5_000, reason: 'handing over' });
  assert.deepEqual([notHeld.ok, notHeld.wasRunning, notHeld.autostartHold], [true, true, undefined]);
  assert.equal(existsSync(hold), false);
});

test('install lifts the hold; a profile without the Windows autostart is never held', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  home.writeConfig({}, 'b');
  const { backend, spec } = windowsTracks(home);
  assert.ok((await backend.install(spec, { start: false, login: true })).ok);
  const paths = home.paths();
  assert.equal(holdAutostart(paths.dir, 'gatehouse stop'), autostartHoldPath(paths.dir));

  const fake = new FakeSystemctl(join(home.home, 'xdg', 'systemd', 'user'));
  const host: ServiceHost = { platform: 'linux', env: { [SERVICE_DIR_ENV.XDG_CONFIG_HOME]: join(home.home, 'xdg') }, userHome: home.home, user: 'ana', uid: 1000, run: fake.run };
  const outcome = await installService(paths, { start: false, login: true }, host);
  assert.ok(outcome.ok, outcome.error ?? '');
  assert.ok(outcome.lines.some((l) => /lifted the autostart hold/.test(l)), outcome.lines.join('\n'));
  assert.equal(existsSync(autostartHoldPath(paths.dir)), false);

  const other = await stopJson(home, 'b');
  assert.equal(other.autostartHold, undefined);
  assert.equal(existsSync(autostartHoldPath(home.paths('b').dir)), false, 'no Windows autostart: nothing to hold');
});
