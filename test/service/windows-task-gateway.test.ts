// The control layer's Windows paths with real gateways and only the Task Scheduler faked: the
// stateful schtasks fake stands in for Task Scheduler (and its instance for the launcher, which
// starts `gatehouse run` with GATEHOUSE_SUPERVISED=1, as the real one does). `start` goes through
// the task when the task track is installed and enabled, and spawns otherwise; `uninstall` drains
// the gateway the task runs before deleting the task, and leaves a hand-started one alone.
// test/win32/ runs the real launcher under Wine; schtasks logon tasks cannot run there.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { controlTarget, hello } from '../../src/runtime/control-client.js';
import { uninstallService } from '../../src/control/service-install.js';
import { selectFor } from '../../src/control/service-select.js';
import { startGateway } from '../../src/control/start.js';
import { platform } from '../../src/platform/index.js';
import type { ServiceHost } from '../../src/service/select.js';
import { buildServiceSpec } from '../../src/service/spec.js';
import { taskName } from '../../src/service/task-xml.js';
import { autostartHoldPath } from '../../src/service/autostart-hold.js';
import { eventually, TestHome } from '../e2e/harness.js';
import { FakeSchtasks } from './fake-schtasks.js';

const WIN_HOME = 'C:\\Users\\ana\\AppData\\Local\\gatehouse';
const TASK = taskName('default');

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ drain: { timeoutMs: 5_000 } });
  const fake = new FakeSchtasks();
  const instances: ChildProcess[] = [];
  // /Run: the launcher starts the monitor in the foreground as the service; its exit ends the instance.
  fake.onInstanceStart = (name) => {
    const monitor = home.spawnCli(['run'], { GATEHOUSE_SUPERVISED: '1' });
    monitor.on('exit', () => fake.instanceDied(name));
    instances.push(monitor);
  };
  fake.onInstanceEnd = () => { for (const m of instances) if (m.exitCode === null) m.kill('SIGTERM'); };
  const host: ServiceHost = { platform: 'win32', env: home.env(), userHome: home.home, user: 'ana', uid: -1, run: fake.run };
  const paths = home.paths();
  const selection = await selectFor(paths, host);
  assert.ok(selection.ok);
  // A Windows spec (the launcher needs Windows paths); the launcher file goes to the real profile dir.
  const spec = buildServiceSpec({
    nodePath: 'C:\\Program Files\\nodejs\\node.exe', entryScript: 'C:\\gh\\dist\\src\\cli\\main.js', home: WIN_HOME,
    workingDirectory: `${WIN_HOME}\\profiles\\default`, logDir: `${WIN_HOME}\\profiles\\default\\logs`,
  });
  const install = (login: boolean) => selection.service.backend.install(spec, { start: false, login });
  const address = platform.controlEndpoint(paths.dir).address;
  return { home, fake, host, paths, install, instances, address };
}

test('start goes through the Task Scheduler when the task is installed: the monitor is the task\'s, supervised', async (t) => {
  const w = await setup(t);
  assert.ok((await w.install(true)).ok);
  const started = await startGateway(w.paths, 30_000, { host: w.host });
  assert.equal(started.ok, true, `${started.message} ${started.details.join(' ')}`);
  assert.equal(started.via, 'the Task Scheduler');
  assert.match(started.message, /^started through the Task Scheduler \(pid \d+\)/);
  assert.equal(w.instances.length, 1, 'one /Run, one monitor');
  assert.equal(started.pid, w.instances[0]?.pid, 'the gateway that answers is the one the task started');
  const answer = await hello(controlTarget(w.paths));
  assert.ok(answer.ok && answer.data.supervised, 'under the task: full restarts go through its launcher (exit 75)');
  assert.equal(w.fake.tasks.get(TASK)?.running, true);
  const again = await startGateway(w.paths, 30_000, { host: w.host });
  assert.deepEqual([again.ok, again.alreadyRunning, w.instances.length], [true, true, 1], 'a second start finds it running');
});

test('start spawns (no /Run) when the task is disabled (--no-login) or the Startup folder is the track', async (t) => {
  for (const variant of ['no-login', 'startup'] as const) {
    const w = await setup(t);
    if (variant === 'startup') w.fake.inject.set('/Create', 'denied');
    assert.ok((await w.install(variant !== 'no-login')).ok);
    w.fake.inject.clear();
    const started = await startGateway(w.paths, 30_000, { host: w.host });
    assert.equal(started.ok, true, started.message);
    assert.equal(started.via, undefined, `${variant}: spawned, not through a manager`);
    assert.equal(w.fake.verbs().includes('/Run'), false, `${variant}: the task was not run`);
    assert.equal(w.instances.length, 0);
    assert.equal((await hello(controlTarget(w.paths))).ok, true);
  }
});

test('uninstall drains the gateway the task runs, then deletes the task; no hold is left behind', async (t) => {
  const w = await setup(t);
  assert.ok((await w.install(true)).ok);
  assert.ok((await startGateway(w.paths, 30_000, { host: w.host })).ok);
  const monitor = w.instances[0] ?? assert.fail('the task started no monitor');
  const exited = new Promise<number | null>((resolve) => monitor.once('exit', (code) => resolve(code)));
  const removed = await uninstallService(w.paths, w.host);
  assert.equal(removed.ok, true, removed.error ?? '');
  assert.match(removed.lines.join('\n'), /stopped the gateway the autostart ran \(pid \d+, drained\)/);
  assert.equal(await exited, 0, 'a planned stop: drained, exit 0');
  const events = w.home.lifecycle().filter((e) => e.pid === monitor.pid);
  const drain = events.find((e) => e.event === 'drain_begin');
  assert.equal(drain?.reason, 'gatehouse uninstall', 'drained over the control endpoint, not killed');
  assert.equal(w.fake.tasks.size, 0, 'and the task is gone');
  assert.equal(existsSync(autostartHoldPath(w.paths.dir)), false, 'the hold set while stopping is lifted');
  assert.equal((await hello(controlTarget(w.paths))).ok, false);
});

test('uninstall leaves a gateway started by hand running, and says so', async (t) => {
  const w = await setup(t);
  assert.ok((await w.install(true)).ok);
  const pid = await w.home.start(); // the CLI on Linux: spawned, not supervised
  const removed = await uninstallService(w.paths, w.host);
  assert.equal(removed.ok, true, removed.error ?? '');
  assert.match(removed.lines.join('\n'), new RegExp(`gateway running \\(pid ${pid}\\) was started by hand.*left running`));
  assert.equal(w.fake.tasks.size, 0);
  const still = await eventually('the hand-started gateway to answer', async () => (await hello(controlTarget(w.paths))).ok);
  assert.equal(still, true);
});
