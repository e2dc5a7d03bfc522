// Discovery by command line, end to end: a gateway whose PID file is gone (deleted, then corrupt) and
// whose monitor is SIGSTOPped (its control endpoint accepts but never answers) is still found by
// `status` (wedged, with the pid discovery found) and stopped by `stop` (its fingerprinted tree);
// look-alikes (the same `run` command line in another GATEHOUSE_HOME, or with an environment the CLI
// cannot read) are never reported and never signalled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { CLI, TestHome, collect, eventually, healthz, isAlive, workerPid, type CliResult } from './harness.js';
import { platform } from '../../src/platform/index.js';
import { readCommandLine } from '../../src/platform/linux-proc.js';
import { killProcessTree } from '../../src/runtime/process-tree.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
/**
 * As root the CLI could read every process's environment (CAP_SYS_PTRACE): it runs without
 * capabilities, so a process of another user has an environment it cannot read, as for a normal user.
 */
const unreadableSkip = process.platform !== 'linux' ? 'Linux only' : !isRoot ? 'needs root to start a process as another user' : !hasSetpriv ? 'setpriv is missing' : false;

function cliAs(home: TestHome, args: readonly string[], capless: boolean): Promise<CliResult> {
  const argv = [process.execPath, CLI, ...args];
  const [command, ...rest] = capless ? ['setpriv', '--bounding-set', '-all', '--inh-caps', '-all', ...argv] : argv;
  return collect(spawn(command as string, rest, { env: home.env(), stdio: ['ignore', 'pipe', 'pipe'] }), 60_000);
}

test('no PID file and a wedged control endpoint: status and stop find the gateway by its command line, never a look-alike', { skip: process.platform === 'linux' ? false : 'discovery through /proc: Linux only' }, async (t) => {
  const home = new TestHome();
  const other = new TestHome();
  t.after(() => Promise.all([home.cleanup(), other.cleanup()]));
  home.writeConfig({});
  other.writeConfig({});
  const monitor = await home.start();
  const worker = workerPid(home);
  const monitorStart = platform.processStartTime(monitor)!;
  t.after(() => {
    // The PID file is gone: cleanup cannot find it by that, so by its identity here.
    if (platform.matchesIdentity({ pid: monitor, startTime: monitorStart })) {
      process.kill(monitor, 'SIGCONT');
      killProcessTree({ pid: monitor, startTime: monitorStart }, 'SIGKILL');
    }
  });

  // Look-alike 1: a real gateway, same `<entry> run --profile default`, another GATEHOUSE_HOME.
  const lookalike = other.spawnCli(['run', '--profile', 'default']);
  await eventually('the look-alike gateway to run', () => { const s = other.state(); return s.kind === 'ok' && s.value.state === 'running' && s.value.pid === lookalike.pid; });
  // Look-alike 2: the same command line and OUR home, as another user: its environment is unreadable.
  let hidden: ChildProcess | null = null;
  if (unreadableSkip === false) {
    hidden = spawn('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups',
      process.execPath, '-e', 'setInterval(() => {}, 60000)', CLI, 'run', '--profile', 'default'], { env: home.env(), stdio: 'ignore' });
    t.after(() => { hidden?.kill('SIGKILL'); });
    await eventually('the unreadable look-alike to run', () => hidden?.pid !== undefined && (readCommandLine(hidden.pid) ?? '').includes(CLI));
  } else t.diagnostic(`the unreadable look-alike is skipped: ${unreadableSkip}`);
  const capless = unreadableSkip === false;

  rmSync(home.paths().pidFile);
  process.kill(monitor, 'SIGSTOP');

  const status = await cliAs(home, ['status', '--deep', '--json'], capless);
  assert.equal(status.code, 1, `${status.stdout}${status.stderr}`);
  const json = JSON.parse(status.stdout) as { state: string; pid: number; reason: string; probes: Array<{ id: string; ok: boolean; detail: string }> };
  assert.equal(json.state, 'wedged');
  assert.equal(json.pid, monitor, 'the pid discovery found is the monitor, not its worker or a look-alike');
  assert.match(json.reason, /no PID file and a control endpoint that accepts but does not answer/);
  const probe = json.probes.find((p) => p.id === 'discovery');
  assert.ok(probe !== undefined, JSON.stringify(json.probes));
  assert.equal(probe.ok, false);
  assert.match(probe.detail, new RegExp(`^pid ${monitor} found by its command line \\(/proc`));
  for (const stranger of [lookalike.pid, hidden?.pid]) if (stranger !== undefined) assert.doesNotMatch(status.stdout, new RegExp(`pid ${stranger}\\b`));

  writeFileSync(home.paths().pidFile, '{not json'); // a corrupt PID file: discovery all the same
  const stop = await cliAs(home, ['stop', '--timeout', '1', '--json'], capless);
  assert.equal(stop.code, 0, `${stop.stdout}${stop.stderr}`);
  const stopped = JSON.parse(stop.stdout) as { wasRunning: boolean; pid: number; steps: string[] };
  assert.deepEqual([stopped.wasRunning, stopped.pid], [true, monitor]);
  assert.match(stopped.steps[0] ?? '', /found by its command line/);
  assert.ok(stopped.steps.some((s) => /SIGKILL|SIGTERM/.test(s)), `escalated: ${stopped.steps.join('; ')}`);
  await eventually('the monitor and its worker to be gone', () => !isAlive(monitor) && !isAlive(worker), 10_000);

  // The look-alikes were never signalled: alive, and the real one still serves.
  assert.ok(isAlive(lookalike.pid!), 'the gateway of the other home is alive');
  assert.equal(lookalike.exitCode, null);
  assert.equal((await healthz(other.apiUrl())).body.pid, lookalike.pid);
  if (hidden !== null) {
    assert.ok(isAlive(hidden.pid!), 'the process with the unreadable environment is alive');
    assert.equal(hidden.signalCode, null);
  }
  const after = await cliAs(home, ['status', '--json'], capless);
  assert.equal(after.code, 3, `only look-alikes remain: not running. ${after.stdout}`);
});
