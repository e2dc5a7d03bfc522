// The Windows autostart tracks against a stateful schtasks fake, in temp directories standing in
// for the profile directory and the Startup folder: the Scheduled Task track, the fallback to the
// Startup folder when registration is denied, hangs, or "succeeds" with no effect, the manifest,
// the /Run no-op under IgnoreNew, --no-login, drift, and uninstall removing every track.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServiceSpec } from '../../src/service/spec.js';
import { decodeTaskXml, parseTaskXml, taskName } from '../../src/service/task-xml.js';
import type { ServiceResult } from '../../src/service/types.js';
import { createWindowsBackend, MANIFEST_FILE, readManifest } from '../../src/service/windows.js';
import { LAUNCHER_FILE, parseLauncher, renderLauncher } from '../../src/service/windows-launcher.js';
import { createWindowsStartupBackend } from '../../src/service/windows-startup.js';
import { createWindowsTaskBackend, SCHTASKS_TIMEOUT_MS } from '../../src/service/windows-task.js';
import { FakeSchtasks } from './fake-schtasks.js';

const HOME = 'C:\\Users\\Ana María\\AppData\\Local\\gatehouse';
const TASK = taskName('work');
const BOTH = { start: true, login: true };
const USER_ID = 'DESKTOP-1\\ana';

function setup(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'gh-win-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const profileDir = (profile: string): string => join(root, 'profiles', profile);
  const startupDir = join(root, 'Startup');
  const fake = new FakeSchtasks();
  const gateway = { up: false, detachedStarts: 0, stops: 0 };
  fake.onInstanceStart = () => { gateway.up = true; };
  fake.onInstanceEnd = () => { gateway.up = false; }; // the monitor exits when its launcher is gone
  const hooks = {
    profileDir,
    gatewayUp: async () => gateway.up,
    startDetached: async (): Promise<ServiceResult> => { gateway.up = true; gateway.detachedStarts++; return { ok: true, exitCode: 0, timedOut: false, detail: 'started (detached)' }; },
    sleep: async () => {},
  };
  const task = createWindowsTaskBackend({ ...hooks, userId: USER_ID, run: fake.run });
  const startup = createWindowsStartupBackend({ ...hooks, startupDir });
  // The gateway a track started (the launcher sets GATEHOUSE_SUPERVISED=1) is the one uninstall stops.
  const stopAutostarted = async (): Promise<ServiceResult> => {
    const was = gateway.up;
    gateway.up = false;
    gateway.stops++;
    return { ok: true, exitCode: 0, timedOut: false, detail: was ? 'stopped the gateway the autostart ran' : 'no gateway running' };
  };
  const backend = createWindowsBackend({ task, startup, profileDir, stopAutostarted });
  const spec = buildServiceSpec({
    profile: 'work', nodePath: 'C:\\Program Files\\nodejs\\node.exe', entryScript: 'C:\\gh\\dist\\src\\cli\\main.js', home: HOME,
    workingDirectory: `${HOME}\\profiles\\work`, logDir: `${HOME}\\profiles\\work\\logs`,
  });
  return {
    fake, gateway, backend, spec, startupDir,
    launcher: join(profileDir('work'), LAUNCHER_FILE), entry: join(startupDir, 'gatehouse-work.js'), manifest: join(profileDir('work'), MANIFEST_FILE),
  };
}

test('the task track: launcher written, task registered from UTF-16LE XML and read back, started and observed', async (t) => {
  const w = setup(t);
  const result = await w.backend.install(w.spec, BOTH);
  assert.ok(result.ok, result.detail);
  assert.match(result.detail, /^windows-task: wrote .*registered task Gatehouse-work; starts at logon; watchdog: .*registered task Gatehouse-work watchdog .*; started by the task/);
  assert.equal(readFileSync(w.launcher, 'utf8'), renderLauncher(w.spec));
  const registered = parseTaskXml(w.fake.tasks.get(TASK)?.xml ?? '');
  assert.ok(registered.ok);
  assert.deepEqual(registered.task.definition, { userId: USER_ID, launcherPath: w.launcher, profile: 'work', wscriptPath: '%SystemRoot%\\System32\\wscript.exe' });
  assert.equal(existsSync(w.entry), false, 'one track at a time');
  assert.equal(readManifest(w.manifest)?.kind, 'windows-task');
  assert.deepEqual(await w.backend.status('work').then((s) => [s.kind, s.installed, s.enabled, s.state]), ['windows-task', true, true, 'running']);
  assert.ok(w.fake.calls.every((c) => c.timeoutMs === SCHTASKS_TIMEOUT_MS), 'every schtasks call is bounded');
  assert.equal(existsSync(join(w.launcher, '..', 'autostart-task.xml')), false, 'the XML handed to /Create is not left behind');
});

test('installing twice changes nothing; a drifted task or launcher is repaired', async (t) => {
  const w = setup(t);
  await w.backend.install(w.spec, BOTH);
  w.fake.calls.length = 0;
  const again = await w.backend.install(w.spec, BOTH);
  assert.match(again.detail, /task Gatehouse-work unchanged.*task Gatehouse-work watchdog unchanged.*already running/);
  assert.ok(!w.fake.verbs().includes('/Create') && !w.fake.verbs().includes('/Run'));
  const task = w.fake.tasks.get(TASK);
  assert.ok(task !== undefined);
  task.xml = task.xml.replace('<Interval>PT5M</Interval>', '<Interval>PT1H</Interval>');
  writeFileSync(w.launcher, readFileSync(w.launcher, 'utf8').replace('WScript.Quit(0)', 'WScript.Quit(1)'));
  const repaired = await w.backend.install(w.spec, BOTH);
  assert.match(repaired.detail, /wrote .*re-registered task Gatehouse-work \(it had drifted\)/);
  assert.match(w.fake.tasks.get(TASK)?.xml ?? '', /<Interval>PT5M<\/Interval>/);
  assert.equal(readFileSync(w.launcher, 'utf8'), renderLauncher(w.spec));
});

for (const [fault, why] of [['denied', /exit 1: ERROR: Access is denied/], ['hang', /timed out/], ['silent', /exited 0 but the task cannot be read back \(not registered\)/]] as const) {
  test(`registration ${fault} -> the Startup-folder fallback, recorded in the manifest, and no task left behind`, async (t) => {
    const w = setup(t);
    w.fake.inject.set('/Create', fault);
    const result = await w.backend.install(w.spec, BOTH);
    assert.ok(result.ok, result.detail);
    assert.match(result.detail, /^windows-startup: Scheduled Task not registered/);
    assert.match(result.detail, /no watchdog on this track/);
    assert.match(result.detail, why);
    assert.equal(readFileSync(w.entry, 'utf8'), renderLauncher(w.spec), 'the Startup entry is the same hidden launcher');
    const parsed = parseLauncher(readFileSync(w.entry, 'utf8'));
    assert.ok(parsed.ok && parsed.spec.nodePath === w.spec.nodePath);
    assert.equal(w.fake.tasks.size, 0);
    assert.equal(existsSync(w.launcher), false, 'the task track left nothing behind');
    const manifest = readManifest(w.manifest);
    assert.equal(manifest?.kind, 'windows-startup');
    assert.match(manifest?.fallbackReason ?? '', why);
    assert.deepEqual([w.gateway.up, w.gateway.detachedStarts], [true, 1], 'started now without a manager');
    assert.deepEqual(await w.backend.status('work').then((s) => [s.kind, s.installed, s.enabled, s.state]), ['windows-startup', true, true, 'running']);
  });
}

test('once registration works again, install moves back to the task and removes the Startup entry', async (t) => {
  const w = setup(t);
  w.fake.inject.set('/Create', 'denied');
  await w.backend.install(w.spec, BOTH);
  w.fake.inject.clear();
  const moved = await w.backend.install(w.spec, { start: false, login: true });
  assert.ok(moved.ok, moved.detail);
  assert.equal(existsSync(w.entry), false);
  assert.ok(w.fake.tasks.has(TASK));
  assert.equal(readManifest(w.manifest)?.kind, 'windows-task');
});

test('/Run is a silent no-op while an instance runs (IgnoreNew): a start that is not observed is a failure', async (t) => {
  const w = setup(t);
  await w.backend.install(w.spec, { start: false, login: true });
  w.fake.onInstanceStart = () => {}; // a launcher instance that runs but whose gateway died
  w.fake.run('schtasks', ['/Run', '/TN', TASK], { timeoutMs: 1 });
  w.fake.onInstanceStart = () => { w.gateway.up = true; };
  const result = await w.backend.start('work');
  assert.deepEqual([result.ok, w.gateway.up], [false, false]);
  assert.match(result.detail, /exited 0 but no gateway answered.*IgnoreNew.*schtasks \/End \/TN Gatehouse-work/);
  assert.ok((await w.backend.restart('work')).ok, 'restart ends the instance, then /Run starts a new one');
  assert.equal(w.gateway.up, true);
});

test('--no-login: the task is registered disabled (read back) and the gateway started without it', async (t) => {
  const w = setup(t);
  const result = await w.backend.install(w.spec, { start: true, login: false });
  assert.ok(result.ok, result.detail);
  const parsed = parseTaskXml(w.fake.tasks.get(TASK)?.xml ?? '');
  assert.ok(parsed.ok);
  assert.equal(parsed.task.settings['Enabled'], 'false');
  assert.deepEqual([w.gateway.up, w.gateway.detachedStarts], [true, 1]);
  assert.equal(await w.backend.isEnabled('work'), false);
  w.fake.inject.set('/Change', 'silent');
  const silent = await w.backend.install(w.spec, { start: false, login: true });
  assert.equal(silent.ok, true, 'a failed enable falls back rather than claiming it');
  assert.equal(readManifest(w.manifest)?.kind, 'windows-startup');
  w.fake.inject.clear();
  const startupOnly = await createWindowsStartupBackend({ startupDir: w.startupDir, profileDir: () => join(w.manifest, '..'), gatewayUp: async () => false, startDetached: async () => ({ ok: true, exitCode: 0, timedOut: false, detail: '' }) })
    .install(w.spec, { start: false, login: false });
  assert.ok(startupOnly.ok);
  assert.equal(existsSync(w.entry), false, 'Startup track with --no-login: nothing in the Startup folder');
});

test('uninstall removes every track, manifest or not; a hung /Delete is a failure, not a success', async (t) => {
  const w = setup(t);
  await w.backend.install(w.spec, BOTH);
  mkdirSync(w.startupDir, { recursive: true });
  writeFileSync(w.entry, renderLauncher(w.spec)); // a leftover second track
  rmSync(w.manifest); // and a lost manifest
  w.fake.inject.set('/Delete', 'hang');
  const hung = await w.backend.uninstall('work');
  assert.deepEqual([hung.ok, hung.timedOut], [false, true]);
  w.fake.inject.set('/Delete', 'silent');
  const silent = await w.backend.uninstall('work');
  assert.equal(silent.ok, false, 'exit 0 with no effect is not a deletion');
  w.fake.inject.clear();
  const removed = await w.backend.uninstall('work');
  assert.ok(removed.ok, removed.detail);
  assert.deepEqual([w.fake.tasks.size, existsSync(w.entry), existsSync(w.launcher), existsSync(w.manifest)], [0, false, false, false]);
  assert.deepEqual(await w.backend.status('work').then((s) => [s.installed, s.state]), [false, 'not-installed']);
});

test('uninstall stops the gateway the task runs before deleting the task (a deleted task\'s instance keeps running)', async (t) => {
  const w = setup(t);
  await w.backend.install(w.spec, BOTH);
  assert.equal(w.gateway.up, true);
  const order: string[] = [];
  const run = w.fake.run;
  const backend = createWindowsBackend({
    task: createWindowsTaskBackend({ profileDir: () => join(w.manifest, '..'), gatewayUp: async () => w.gateway.up, startDetached: async () => assert.fail('not started'), userId: USER_ID, sleep: async () => {},
      run: (command, args, options) => { order.push(`schtasks ${args[0]}`); return run(command, args, options); } }),
    startup: createWindowsStartupBackend({ startupDir: w.startupDir, profileDir: () => join(w.manifest, '..'), gatewayUp: async () => w.gateway.up, startDetached: async () => assert.fail('not started') }),
    profileDir: () => join(w.manifest, '..'),
    stopAutostarted: async () => { order.push(`stop (gateway ${w.gateway.up ? 'up' : 'down'})`); w.gateway.up = false; return { ok: true, exitCode: 0, timedOut: false, detail: 'stopped the gateway the autostart ran' }; },
  });
  const removed = await backend.uninstall('work');
  assert.ok(removed.ok, removed.detail);
  assert.match(removed.detail, /^stopped the gateway the autostart ran; removed task/);
  assert.equal(order[0], 'stop (gateway up)', 'the gateway first, while the task still exists');
  assert.ok(order.includes('schtasks /Delete'));
  assert.equal(w.gateway.up, false);
  assert.equal(w.fake.tasks.size, 0);
});

test('uninstall that cannot stop the gateway still removes the tracks, and fails saying why', async (t) => {
  const w = setup(t);
  await w.backend.install(w.spec, BOTH);
  const backend = createWindowsBackend({
    task: createWindowsTaskBackend({ profileDir: () => join(w.manifest, '..'), gatewayUp: async () => true, startDetached: async () => assert.fail('not started'), userId: USER_ID, sleep: async () => {}, run: w.fake.run }),
    startup: createWindowsStartupBackend({ startupDir: w.startupDir, profileDir: () => join(w.manifest, '..'), gatewayUp: async () => true, startDetached: async () => assert.fail('not started') }),
    profileDir: () => join(w.manifest, '..'),
    stopAutostarted: async () => ({ ok: false, exitCode: 1, timedOut: false, detail: 'the gateway the autostart runs (pid 42) did not stop: still running after SIGKILL' }),
  });
  const result = await backend.uninstall('work');
  assert.equal(result.ok, false);
  assert.match(result.detail, /pid 42\) did not stop/);
  assert.equal(w.fake.tasks.size, 0, 'the task is removed anyway');
  assert.equal(existsSync(w.launcher), false);
});

test('the XML handed to /Create is UTF-16LE with a BOM (the fake refuses anything else)', async (t) => {
  const w = setup(t);
  const rendered = w.backend.render(w.spec);
  const xml = rendered.find((d) => d.role.startsWith('scheduled task'));
  assert.ok(xml !== undefined && typeof xml.content !== 'string');
  assert.deepEqual([...xml.content.subarray(0, 2)], [0xff, 0xfe]);
  assert.ok(parseTaskXml(decodeTaskXml(xml.content)).ok);
  assert.ok(rendered.some((d) => d.path === w.entry), '--print shows the fallback entry too');
});
