// The Windows watchdog task against the stateful schtasks fake: a second per-user task beside the
// gateway's, its time trigger running `gatehouse alert --check` every minute through the hidden
// JScript launcher; registered, repaired, disabled and removed with the gateway's task. Then the
// command that launcher runs (its GH_ARGS and GH_ENV, with this machine's node and entry script in
// place of the Windows ones: wscript cannot run here) raises gateway_down once for a killed
// gateway and resolves it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { buildServiceSpec } from '../../src/service/spec.js';
import { parseTaskXml, taskName } from '../../src/service/task-xml.js';
import type { ServiceResult } from '../../src/service/types.js';
import { parseLauncher } from '../../src/service/windows-launcher.js';
import { createWindowsTaskBackend } from '../../src/service/windows-task.js';
import { renderWatchdogLauncher, WATCHDOG_LAUNCHER_FILE, watchdogTaskName } from '../../src/service/windows-watchdog.js';
import { CLI, eventually, isAlive, TestHome } from '../e2e/harness.js';
import { WebhookReceiver } from '../e2e/webhook-receiver.js';
import { FakeSchtasks } from './fake-schtasks.js';

const HOME = 'C:\\Users\\Ana\\AppData\\Local\\gatehouse';
const WATCHDOG = watchdogTaskName('work');
const USER_ID = 'DESKTOP-1\\ana';

function setup(t: { after: (fn: () => void) => void }, home = HOME) {
  const root = mkdtempSync(join(tmpdir(), 'gh-win-wd-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const profileDir = (profile: string): string => join(root, 'profiles', profile);
  const fake = new FakeSchtasks();
  let up = false;
  fake.onInstanceStart = () => { up = true; };
  fake.onInstanceEnd = () => { up = false; };
  const track = createWindowsTaskBackend({
    profileDir, userId: USER_ID, run: fake.run, sleep: async () => {},
    gatewayUp: async () => up,
    startDetached: async (): Promise<ServiceResult> => ({ ok: true, exitCode: 0, timedOut: false, detail: 'started (detached)' }),
  });
  const spec = buildServiceSpec({
    profile: 'work', nodePath: 'C:\\Program Files\\nodejs\\node.exe', entryScript: 'C:\\gh\\dist\\src\\cli\\main.js', home,
    workingDirectory: `${HOME}\\profiles\\work`, logDir: `${HOME}\\profiles\\work\\logs`,
  });
  return { fake, track, spec, launcher: join(profileDir('work'), WATCHDOG_LAUNCHER_FILE) };
}

test('the task track registers a watchdog task: every minute, bounded, hidden, running alert --check through the launcher', async (t) => {
  const { fake, track, spec, launcher } = setup(t);
  const result = await track.register(spec, true);
  assert.ok(result.ok, result.detail);
  assert.match(result.detail, /watchdog: wrote .*registered task Gatehouse-work watchdog \(alert --check every minute\)/);
  const parsed = parseTaskXml(fake.tasks.get(WATCHDOG)?.xml ?? '');
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  const { task } = parsed;
  assert.equal(task.purpose, 'watchdog');
  assert.deepEqual(task.definition, { userId: USER_ID, launcherPath: launcher, profile: 'work', wscriptPath: '%SystemRoot%\\System32\\wscript.exe' });
  assert.equal(task.repetitionInterval, 'PT1M', "Task Scheduler's shortest repetition");
  assert.equal(task.repetitionDuration, null, 'indefinitely');
  assert.equal(task.settings['ExecutionTimeLimit'], 'PT2M', 'a hung check is ended, so the next minute runs');
  assert.equal(task.settings['MultipleInstancesPolicy'], 'IgnoreNew');
  assert.equal(task.settings['Hidden'], 'true');
  assert.deepEqual([task.logonType, task.runLevel], ['InteractiveToken', 'LeastPrivilege'], 'no admin, no stored password');
  const text = readFileSync(launcher, 'utf8');
  assert.equal(text, renderWatchdogLauncher(spec));
  const check = parseLauncher(text);
  assert.ok(check.ok, check.ok ? '' : check.reason);
  assert.deepEqual(check.spec.args, ['alert', '--check', '--profile', 'work']);
  assert.deepEqual(check.spec.env, { GATEHOUSE_HOME: HOME }, 'only the home: nothing secret');
  assert.equal(check.spec.nodePath, spec.nodePath);
  assert.match(text, /sh\.Run\(GH_COMMAND, 0, true\)/, 'node runs with window style 0 (hidden), waited for');
  assert.deepEqual(track.render(spec).map((d) => d.role), ['hidden JScript launcher', 'scheduled task (UTF-16LE XML)', 'watchdog launcher (alert --check)', 'watchdog scheduled task (UTF-16LE XML)'], 'install --print shows it');
  // The gateway's own task is what it was: the watchdog is a task of its own.
  const gateway = parseTaskXml(fake.tasks.get(taskName('work'))?.xml ?? '');
  assert.ok(gateway.ok && gateway.task.purpose === 'gateway' && gateway.task.repetitionInterval === 'PT5M' && gateway.task.settings['ExecutionTimeLimit'] === 'PT0S');
});

test('registering twice leaves the watchdog alone; a drifted one is re-registered; --no-login disables it with the gateway\'s', async (t) => {
  const { fake, track, spec } = setup(t);
  await track.register(spec, true);
  fake.calls.length = 0;
  const again = await track.register(spec, true);
  assert.match(again.detail, /task Gatehouse-work watchdog unchanged/);
  assert.ok(!fake.verbs().includes('/Create'));
  const registered = fake.tasks.get(WATCHDOG);
  assert.ok(registered !== undefined);
  registered.xml = registered.xml.replace('<Interval>PT1M</Interval>', '<Interval>PT1H</Interval>');
  const repaired = await track.register(spec, true);
  assert.match(repaired.detail, /re-registered task Gatehouse-work watchdog \(it had drifted\)/);
  assert.match(fake.tasks.get(WATCHDOG)?.xml ?? '', /<Interval>PT1M<\/Interval>/);
  const off = await track.register(spec, false);
  assert.ok(off.ok, off.detail);
  for (const name of [taskName('work'), WATCHDOG]) assert.match(fake.tasks.get(name)?.xml ?? '', /<Settings>[\s\S]*?<Enabled>false<\/Enabled>/, `${name} disabled`);
});

test('a watchdog that cannot be registered does not undo the gateway\'s task, and says so', async (t) => {
  const { fake, track, spec } = setup(t);
  fake.inject.set(`/Create ${WATCHDOG}`, 'denied');
  const result = await track.register(spec, true);
  assert.ok(result.ok, result.detail);
  assert.match(result.detail, /watchdog task NOT registered: schtasks \/Create: exit 1/);
  assert.ok(fake.tasks.has(taskName('work')) && !fake.tasks.has(WATCHDOG));
});

test('uninstall deletes the watchdog task and its launcher with the gateway\'s', async (t) => {
  const { fake, track, spec, launcher } = setup(t);
  await track.register(spec, true);
  const removed = await track.uninstall('work');
  assert.ok(removed.ok, removed.detail);
  assert.equal(fake.tasks.size, 0);
  assert.equal(existsSync(launcher), false);
  assert.ok((await track.uninstall('work')).ok, 'twice is fine');
});

/** What the watchdog launcher runs, with this machine's node and entry: its GH_ARGS with its GH_ENV. */
function runLauncherCommand(launcherText: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const parsed = parseLauncher(launcherText);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  const child = spawn(process.execPath, [CLI, ...parsed.spec.args], { env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...parsed.spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout: stdout.trim(), stderr })));
}

test('the command the watchdog task runs: gateway_down once for a killed gateway, resolved when it is back', { timeout: 240_000 }, async (t) => {
  const home = new TestHome();
  const receiver = await new WebhookReceiver().start();
  t.after(async () => { await home.cleanup(); await receiver.stop(); });
  home.writeConfig({ alerts: { webhook: receiver.url, downAfterMs: 1_000 } });
  const { spec } = setup(t, home.home);
  const launcher = renderWatchdogLauncher({ ...spec, profile: 'default', args: ['run', '--profile', 'default'] });
  const tick = async (): Promise<string> => {
    const run = await runLauncherCommand(launcher);
    assert.equal(run.code, 0, run.stderr);
    return run.stdout;
  };
  const monitor = await home.start();
  assert.match(await tick(), /^up: /);
  process.kill(-monitor, 'SIGKILL');
  await eventually('the gateway gone', () => !isAlive(monitor));
  assert.match(await tick(), /^down-grace: /);
  await sleep(1_200);
  assert.match(await tick(), /^down: /);
  assert.match(await tick(), /^down: /);
  assert.deepEqual(receiver.states('gateway_down'), ['firing']);
  await home.start();
  assert.match(await tick(), /^up: /);
  await eventually('gateway_down resolved', () => receiver.states('gateway_down').length === 2);
  assert.deepEqual(receiver.states('gateway_down'), ['firing', 'resolved']);
});
