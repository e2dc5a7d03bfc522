// `stop` where the easy doors are shut: the planned-stop marker cannot be written (a directory in its
// place, an unwritable profile directory) against a wedged (SIGSTOPped) monitor, and several
// monitors of one profile found by their command line. Each must end stopped, identity-checked,
// saying what it could not do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { CLI, TestHome, collect, eventually, isAlive, workerPid } from './harness.js';
import { platform } from '../../src/platform/index.js';
import { readCommandLine } from '../../src/platform/linux-proc.js';
import { killProcessTree } from '../../src/runtime/process-tree.js';

const posixOnly = process.platform === 'win32' ? 'SIGSTOP and POSIX modes' : false;

/** Start a gateway and wedge its monitor; cleanup resumes and kills it whatever happens. */
async function wedged(t: { after(fn: () => unknown): void }, home: TestHome): Promise<{ monitor: number; worker: number }> {
  home.writeConfig({});
  const monitor = await home.start();
  const worker = workerPid(home);
  const identity = { pid: monitor, startTime: platform.processStartTime(monitor)! };
  t.after(() => {
    if (platform.matchesIdentity(identity)) { process.kill(monitor, 'SIGCONT'); killProcessTree(identity, 'SIGKILL'); }
  });
  process.kill(monitor, 'SIGSTOP');
  return { monitor, worker };
}

test('a directory in place of the marker does not take a running gateway down', { skip: posixOnly }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const pid = await home.start();
  mkdirSync(home.paths().plannedStop);
  // The watcher sees it at once and judges it again 250 ms later (a marker may be half written).
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.ok(isAlive(pid), 'the marker watcher must not throw on a directory');
  assert.equal((await home.cli(['status'])).code, 0);
  assert.ok(statSync(home.paths().plannedStop).isDirectory(), 'what the user put there is left alone');
});

test('stop of a wedged monitor whose marker path is a directory escalates, says so, and exits 0', { skip: posixOnly }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const { monitor, worker } = await wedged(t, home);
  mkdirSync(home.paths().plannedStop);
  const stop = await home.cli(['stop', '--timeout', '1']);
  assert.equal(stop.code, 0, `${stop.stdout}${stop.stderr}`);
  assert.match(stop.stderr, new RegExp(`could not write the planned-stop marker ${home.paths().plannedStop.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(stop.stdout, /SIGTERM|SIGKILL/);
  await eventually('the monitor and its worker to be gone', () => !isAlive(monitor) && !isAlive(worker));
  assert.ok(statSync(home.paths().plannedStop).isDirectory(), 'the directory is not removed');
});

const isRoot = process.getuid?.() === 0;
const hasSetpriv = process.platform === 'linux' && spawnSync('setpriv', ['--version']).status === 0;

test('stop of a wedged monitor in an unwritable profile directory escalates, says so, and exits 0', { skip: posixOnly }, async (t) => {
  const home = new TestHome();
  t.after(() => { chmodSync(home.paths().dir, 0o700); return home.cleanup(); });
  const { monitor, worker } = await wedged(t, home);
  chmodSync(home.paths().dir, 0o500);
  // Root writes anywhere (CAP_DAC_OVERRIDE): run the CLI without capabilities, as a normal user would be.
  const argv = [process.execPath, CLI, 'stop', '--timeout', '1', '--json'];
  const [command, ...args] = isRoot && hasSetpriv ? ['setpriv', '--bounding-set', '-all', '--inh-caps', '-all', ...argv] : argv;
  if (isRoot && !hasSetpriv) t.skip('root without setpriv cannot be denied a write');
  const stop = await collect(spawn(command as string, args, { env: home.env(), stdio: ['ignore', 'pipe', 'pipe'] }), 60_000);
  assert.equal(stop.code, 0, `${stop.stdout}${stop.stderr}`);
  const result = JSON.parse(stop.stdout) as { ok: boolean; warnings: string[]; steps: string[] };
  assert.equal(result.ok, true);
  assert.ok(result.warnings.some((w) => w.startsWith(`could not write the planned-stop marker ${home.paths().plannedStop}`) && /EACCES|permission/i.test(w)), result.warnings.join('\n'));
  assert.ok(result.steps.some((s) => /^SIG(TERM|KILL) to \d/.test(s)), result.steps.join('; '));
  await eventually('the monitor and its worker to be gone', () => !isAlive(monitor) && !isAlive(worker));
});

test('two monitors of one profile found by command line: status reports both, stop stops both', { skip: process.platform === 'linux' ? false : 'discovery through /proc: Linux only' }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const { monitor, worker } = await wedged(t, home);
  rmSync(home.paths().pidFile);
  // A second monitor of the same profile and home (as after a lock that failed): same command line.
  const twin = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)', CLI, 'run', '--profile', 'default'], { env: home.env(), stdio: 'ignore' });
  t.after(() => { twin.kill('SIGKILL'); });
  await eventually('the twin to run', () => twin.pid !== undefined && (readCommandLine(twin.pid) ?? '').includes(CLI));
  const status = await home.cli(['status', '--json']);
  assert.equal(status.code, 1, status.stdout);
  const json = JSON.parse(status.stdout) as { pid: number; pids: number[]; reason: string };
  assert.deepEqual(json.pids, [monitor, twin.pid], 'both, oldest first');
  assert.equal(json.pid, monitor);
  assert.match(json.reason, /2 monitors of this profile and home/);
  const stop = await home.cli(['stop', '--timeout', '1', '--json']);
  assert.equal(stop.code, 0, `${stop.stdout}${stop.stderr}`);
  const stopped = JSON.parse(stop.stdout) as { ok: boolean; pids: number[]; steps: string[] };
  assert.deepEqual([stopped.ok, stopped.pids], [true, [monitor, twin.pid]]);
  await eventually('both monitors and the worker to be gone', () => !isAlive(monitor) && !isAlive(worker) && !isAlive(twin.pid!));
  assert.equal((await home.cli(['status'])).code, 3);
});

test('a monitor that answers and a stale one of the same profile beside it: stop stops both', { skip: process.platform === 'linux' ? false : 'discovery through /proc: Linux only' }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const monitor = await home.start();
  const worker = workerPid(home);
  // A stale monitor of the same profile and home, without the endpoint (as after a lock that
  // failed, or one whose control server died): the same command line, deaf to the marker.
  const stale = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)', CLI, 'run', '--profile', 'default'], { env: home.env(), stdio: 'ignore' });
  t.after(() => { stale.kill('SIGKILL'); });
  await eventually('the stale monitor to run', () => stale.pid !== undefined && (readCommandLine(stale.pid) ?? '').includes(CLI));
  const stop = await home.cli(['stop', '--timeout', '5', '--json']);
  assert.equal(stop.code, 0, `${stop.stdout}${stop.stderr}`);
  const stopped = JSON.parse(stop.stdout) as { ok: boolean; pid: number; pids: number[]; steps: string[] };
  assert.deepEqual([stopped.ok, stopped.pid, stopped.pids], [true, monitor, [monitor, stale.pid]], stopped.steps.join('; '));
  assert.ok(stopped.steps.some((s) => s.startsWith(`pid ${monitor}: asked to drain over the control endpoint`)), 'the one that answers drains');
  assert.ok(stopped.steps.some((s) => s.startsWith(`pid ${stale.pid}: no PID file or control answer; pid ${stale.pid} found by its command line`)), stopped.steps.join('; '));
  await eventually('both monitors and the worker to be gone', () => !isAlive(monitor) && !isAlive(worker) && !isAlive(stale.pid!));
  assert.equal((await home.cli(['status'])).code, 3);
});
