// `start` when the caller's job forbids breakaway (issue 5, item 8): the decision, and its effects
// against the real Windows autostart backends driven by the stateful schtasks fake (Task Scheduler
// cannot run tasks under Wine). The Task Scheduler is used only when the task can run; the in-job
// monitor is ended before /Run and only then; every other case keeps the spawn and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeAfterRefusedBreakaway, startOutsideJob } from '../../src/control/start-breakaway.js';
import { buildServiceSpec } from '../../src/service/spec.js';
import { taskName } from '../../src/service/task-xml.js';
import type { ServiceResult, ServiceStatus } from '../../src/service/types.js';
import { createWindowsBackend } from '../../src/service/windows.js';
import { createWindowsStartupBackend } from '../../src/service/windows-startup.js';
import { createWindowsTaskBackend } from '../../src/service/windows-task.js';
import { FakeSchtasks } from './fake-schtasks.js';

const HOME = 'C:\\Users\\ana\\AppData\\Local\\gatehouse';
const TASK = taskName('default');

function setup(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'gh-brk-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const fake = new FakeSchtasks();
  const events: string[] = [];
  const gateway = { up: true }; // the in-job monitor answers until it is ended
  fake.onInstanceStart = () => { events.push('task started the gateway'); gateway.up = true; };
  fake.onInstanceEnd = () => { gateway.up = false; };
  const hooks = {
    profileDir: (profile: string) => join(root, 'profiles', profile),
    gatewayUp: async () => gateway.up,
    startDetached: async (): Promise<ServiceResult> => { events.push('startDetached'); return { ok: true, exitCode: 0, timedOut: false, detail: 'spawned' }; },
    sleep: async () => {},
  };
  const task = createWindowsTaskBackend({ ...hooks, userId: 'DESKTOP-1\\ana', run: fake.run });
  const startup = createWindowsStartupBackend({ ...hooks, startupDir: join(root, 'Startup') });
  const backend = createWindowsBackend({ task, startup, profileDir: hooks.profileDir, stopAutostarted: async (): Promise<ServiceResult> => ({ ok: true, exitCode: 0, timedOut: false, detail: 'no gateway running' }) });
  const spec = buildServiceSpec({
    nodePath: 'C:\\Program Files\\nodejs\\node.exe', entryScript: 'C:\\gh\\dist\\src\\cli\\main.js', home: HOME,
    workingDirectory: `${HOME}\\profiles\\default`, logDir: `${HOME}\\profiles\\default\\logs`,
  });
  let endable = true;
  const run = () => {
    fake.calls.length = 0;
    return startOutsideJob({
      backend, profile: 'default',
      endInJobChild: async () => { events.push('ended the in-job monitor'); if (endable) gateway.up = false; return endable; },
    });
  };
  return { fake, events, gateway, backend, spec, run, cannotEnd: () => { endable = false; } };
}

const status = (over: Partial<ServiceStatus>): ServiceStatus => ({ kind: 'windows-task', installed: true, enabled: true, state: 'running', files: [], detail: '', ...over });

test('the decision: only an installed, enabled Scheduled Task that answered is used', () => {
  assert.deepEqual(routeAfterRefusedBreakaway(status({})), { use: 'task' });
  assert.deepEqual(routeAfterRefusedBreakaway(status({ state: 'stopped' })), { use: 'task' });
  for (const [over, why] of [
    [{ installed: false, enabled: false, state: 'not-installed' }, /no autostart is installed/],
    [{ kind: 'windows-startup' }, /Startup-folder entry/],
    [{ enabled: false }, /disabled/],
    [{ state: 'unknown', detail: 'schtasks /Query: timed out' }, /did not answer \(schtasks \/Query: timed out\)/],
  ] as const) {
    const route = routeAfterRefusedBreakaway(status(over));
    assert.equal(route.use, 'spawn', JSON.stringify(over));
    assert.match(route.use === 'spawn' ? route.why : '', why);
  }
  assert.equal(routeAfterRefusedBreakaway(null).use, 'spawn');
});

test('task installed and enabled: the in-job monitor is ended first, then the task starts the gateway', async (t) => {
  const w = setup(t);
  assert.ok((await w.backend.install(w.spec, { start: false, login: true })).ok);
  const outcome = await w.run();
  assert.deepEqual(outcome, { path: 'task', detail: 'started by the task' });
  assert.deepEqual(w.events, ['ended the in-job monitor', 'task started the gateway']);
  assert.ok(w.fake.verbs().includes('/Run'));
  assert.equal(w.gateway.up, true);
});

test('no autostart, the Startup-folder track, or a disabled task: the in-job spawn is kept, untouched, and why is said', async (t) => {
  const none = setup(t);
  const plain = await none.run();
  assert.deepEqual([plain.path, none.events], ['spawn', []]);
  assert.match(plain.path === 'spawn' ? plain.why : '', /no autostart is installed/);

  const startupOnly = setup(t);
  startupOnly.fake.inject.set('/Create', 'denied');
  assert.ok((await startupOnly.backend.install(startupOnly.spec, { start: false, login: true })).ok);
  startupOnly.fake.inject.clear();
  const viaStartup = await startupOnly.run();
  assert.deepEqual([viaStartup.path, startupOnly.events], ['spawn', []]);
  assert.match(viaStartup.path === 'spawn' ? viaStartup.why : '', /Startup-folder/);

  const disabled = setup(t);
  assert.ok((await disabled.backend.install(disabled.spec, { start: false, login: false })).ok);
  const viaDisabled = await disabled.run();
  assert.deepEqual([viaDisabled.path, disabled.events], ['spawn', []], 'no /Run, and no recursion into startDetached');
  assert.ok(!disabled.fake.verbs().includes('/Run'));
});

test('schtasks hangs on /Query: the spawn is kept (the task state is unknown), nothing is ended', async (t) => {
  const w = setup(t);
  assert.ok((await w.backend.install(w.spec, { start: false, login: true })).ok);
  w.fake.inject.set('/Query', 'hang');
  const outcome = await w.run();
  assert.equal(outcome.path, 'spawn');
  assert.match(outcome.path === 'spawn' ? outcome.why : '', /did not answer.*timed out/);
  assert.deepEqual(w.events, []);
});

test('/Run refused, or a silent no-op (IgnoreNew with a stale instance): the monitor is spawned again', async (t) => {
  const denied = setup(t);
  assert.ok((await denied.backend.install(denied.spec, { start: false, login: true })).ok);
  denied.fake.inject.set('/Run', 'denied');
  const refused = await denied.run();
  assert.deepEqual(refused.path === 'spawn' ? [refused.respawn, /Access is denied/.test(refused.why)] : refused, [true, true]);

  const stale = setup(t);
  assert.ok((await stale.backend.install(stale.spec, { start: false, login: true })).ok);
  stale.fake.onInstanceStart = () => {}; // a launcher instance that runs, but whose gateway died
  stale.fake.run('schtasks', ['/Run', '/TN', TASK], { timeoutMs: 1 });
  const noop = await stale.run();
  assert.equal(noop.path, 'spawn');
  assert.ok(noop.path === 'spawn' && noop.respawn, 'the in-job monitor was ended, so start spawns one again');
  assert.match(noop.path === 'spawn' ? noop.why : '', /no gateway answered/);
});

test('the in-job monitor cannot be ended: no /Run (two monitors would race for the lock), the spawn is kept', async (t) => {
  const w = setup(t);
  assert.ok((await w.backend.install(w.spec, { start: false, login: true })).ok);
  w.cannotEnd();
  const outcome = await w.run();
  assert.deepEqual(outcome.path === 'spawn' ? [outcome.respawn, /could not be ended/.test(outcome.why)] : outcome, [false, true]);
  assert.ok(!w.fake.verbs().includes('/Run'));
});
