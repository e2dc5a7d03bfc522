// The generated Windows launchers run for real (node.exe, wscript.exe, cmd.exe under Wine in CI):
// the JScript launcher (service/windows-launcher.ts) started by wscript as the Scheduled Task starts
// it, the Startup-folder entry opened the way Explorer opens it, and the monitor draining when its
// launcher is killed (what `schtasks /End` does). What Wine 8 does, found by these tests:
// - Wine ships its own wscript.exe (the same program as its cscript.exe) and jscript.dll. It runs a
//   .js file with //B and //Nologo (//Nologo is ignored), WScript.Quit(n) sets its exit code, and
//   WshShell.Run(cmd, 0, true) waits and returns the program's exit code.
// - It refuses //E:JScript ("unsupported switch": exit 1, nothing run); it picks the engine from the
//   file extension only. So the task's exact action cannot run under Wine; the tests run the same
//   launcher as `wscript //B //Nologo launcher.js` (on Windows .js maps to JScript as well).
// - Its WshEnvironment cannot set a variable (put_Item is a stub): the launcher writes only values
//   that differ, so these tests start wscript with GATEHOUSE_HOME and GATEHOUSE_SUPERVISED already
//   set, as the launcher would have set them. Without them the launcher quits 1 and starts nothing.
// - Its registry has no open verb for .js (JSFile has a ScriptEngine but no shell\open\command),
//   so Explorer's way of opening a Startup entry fails until the test registers Windows' default
//   (`"%SystemRoot%\System32\WScript.exe" "%1" %*`) in the private prefix's HKLM (Wine 8's
//   ShellExecute does not see it in HKCU\Software\Classes).
// - Its cmd.exe `start "" "C:\a b\x.js"` loses the quotes around a path with a space ("Invalid
//   name"); Wine's start.exe given the path as one argument works. Explorer calls ShellExecuteEx
//   itself, with no cmd in between: under Wine the test uses start.exe, on Windows `cmd /c start`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { hello } from '../../src/runtime/control-client.js';
import { platform } from '../../src/platform/index.js';
import { runBounded } from '../../src/platform/spawn.js';
import { terminate, win32 } from '../../src/platform/win32.js';
import * as k32 from '../../src/platform/win32-kernel32.js';
import { testKernel32 } from './kernel32-test.js';
import { wscriptArguments } from '../../src/service/task-xml.js';
import { AUTOSTART_HOLD_FILE, startupEntryPath } from '../../src/service/windows-launcher.js';
import { createWindowsStartupBackend } from '../../src/service/windows-startup.js';
import { gatewayHome, lifecycleEvents, readJson, runCli } from './gateway-helpers.js';
import { cleanup, healthz, launcherEnv, parentOf, specFor, STEP_TIMEOUT_MS, targetOf, waitUp, writeLauncher, wscript, WSCRIPT, type PidRecord, type StateJson } from './launcher-helpers.js';
import { skipUnlessWin32, tempDir, waitFor, waitForExit } from './win32-helpers.js';

const CLI_TIMEOUT_MS = 90_000;
/** A launcher that starts nothing quits at once; this bounds "at once" generously for Wine. */
const QUIT_TIMEOUT_MS = 60_000;
const SYSTEM32 = join(process.env.SystemRoot ?? process.env.windir ?? 'C:\\windows', 'System32');
const CMD = join(SYSTEM32, 'cmd.exe');
const REG = join(SYSTEM32, 'reg.exe');
/** Wine's own start.exe (Windows has only cmd's built-in `start`). */
const START_EXE = join(SYSTEM32, 'start.exe');

test('Wine\'s wscript and the task\'s exact arguments (//B //Nologo //E:JScript): what it does, recorded', { skip: skipUnlessWin32, timeout: 180_000 }, async (t) => {
  const { home, profileDir } = gatewayHome('ls-e', { api: { port: 0 } });
  // A launcher whose gatehouse is gone: when it runs, it quits 0 at once and starts nothing.
  const launcher = writeLauncher(profileDir, specFor(home, profileDir, { entryScript: join(home, 'gone', 'main.js') }));
  const taskArgs = wscriptArguments(launcher);
  assert.match(taskArgs, /^\/\/B \/\/Nologo \/\/E:JScript "/, 'the task action this test is about');
  const exact = await waitForExit(wscript(['//B', '//Nologo', '//E:JScript', launcher], launcherEnv(home)), QUIT_TIMEOUT_MS);
  const withoutE = await waitForExit(wscript(['//B', '//Nologo', launcher], launcherEnv(home)), QUIT_TIMEOUT_MS);
  assert.equal(withoutE, 0, 'the launcher runs under wscript //B //Nologo and its guard quits 0');
  assert.ok(exact === 0 || exact === 1, `//E:JScript: exit ${exact}`);
  t.diagnostic(exact === 0
    ? 'wscript accepts //E:JScript here: the task\'s exact action runs the launcher'
    : 'wscript refuses //E:JScript here (Wine 8: "unsupported switch", exit 1, nothing run): the task\'s exact action cannot run under Wine');
  assert.equal(existsSync(join(profileDir, 'lifecycle.jsonl')), false, 'no gateway was started either way');
});

test('the launcher under wscript: held -> exit 0 and nothing; then it starts the real gateway hidden as its child, supervised; a stop passes exit 0 through', { skip: skipUnlessWin32, timeout: 300_000 }, async () => {
  const { home, profileDir } = gatewayHome('ls-run', { api: { port: 0 } });
  const children: ChildProcess[] = [];
  try {
    const launcher = writeLauncher(profileDir, specFor(home, profileDir));
    writeFileSync(join(profileDir, AUTOSTART_HOLD_FILE), '');
    const held = wscript(['//B', '//Nologo', launcher], launcherEnv(home));
    children.push(held);
    assert.equal(await waitForExit(held, QUIT_TIMEOUT_MS), 0, 'a held launcher quits 0');
    assert.equal(existsSync(join(profileDir, 'lifecycle.jsonl')), false, 'and starts nothing');

    rmSync(join(profileDir, AUTOSTART_HOLD_FILE));
    const host = wscript(['//B', '//Nologo', launcher], launcherEnv(home));
    children.push(host);
    const exited = waitForExit(host, STEP_TIMEOUT_MS * 3);
    const up = await waitUp(profileDir, 'launcher', host);
    assert.equal(up.supervised, true, 'started as the service (GATEHOUSE_SUPERVISED=1)');
    assert.deepEqual(parentOf(up.pid), { pid: host.pid, exe: 'wscript.exe' }, 'the monitor is the child of wscript (Run, not a detached spawn)');
    assert.equal(await healthz(profileDir), 200);
    const events = lifecycleEvents(profileDir);
    assert.equal(events.find((e) => e.event === 'launcher_watch')?.launcherPid, host.pid, 'the monitor watches its launcher');
    assert.equal(host.exitCode, null, 'wscript waits while the gateway runs (bWaitOnReturn)');

    const stop = await runCli(home, ['stop', '--json'], CLI_TIMEOUT_MS);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    assert.equal(await exited, 0, 'wscript quits with the monitor\'s exit code (0 after a planned stop)');
  } finally {
    cleanup(profileDir, children);
  }
});

test('the launcher passes a failing gateway\'s exit code through: bad config -> 78', { skip: skipUnlessWin32, timeout: 300_000 }, async () => {
  const { home, profileDir } = gatewayHome('ls-78', { api: { port: 'not a port' } });
  const children: ChildProcess[] = [];
  try {
    const host = wscript(['//B', '//Nologo', writeLauncher(profileDir, specFor(home, profileDir))], launcherEnv(home));
    children.push(host);
    assert.equal(await waitForExit(host, STEP_TIMEOUT_MS), 78, 'EXIT.CONFIG from node, through WshShell.Run and WScript.Quit');
    assert.equal(lifecycleEvents(profileDir).find((e) => e.event === 'start_failed')?.code, 78, 'the gateway did run, and refused its config');
  } finally {
    cleanup(profileDir, children);
  }
});

test('the launcher does nothing (exit 0, no process) when node or gatehouse is gone', { skip: skipUnlessWin32, timeout: 300_000 }, async () => {
  for (const [what, paths] of [['node', { nodePath: 'C:\\gatehouse-test-gone\\node.exe' }], ['gatehouse', { entryScript: 'C:\\gatehouse-test-gone\\main.js' }]] as const) {
    const { home, profileDir } = gatewayHome(`ls-gone-${what}`, { api: { port: 0 } });
    const children: ChildProcess[] = [];
    try {
      const host = wscript(['//B', '//Nologo', writeLauncher(profileDir, specFor(home, profileDir, paths))], launcherEnv(home));
      children.push(host);
      assert.equal(await waitForExit(host, QUIT_TIMEOUT_MS), 0, `${what} gone: exit 0`);
      assert.equal(existsSync(join(profileDir, 'lifecycle.jsonl')), false, `${what} gone: nothing started`);
      assert.equal((await hello(targetOf(profileDir), 1_000)).ok, false);
    } finally {
      cleanup(profileDir, children);
    }
  }
});

test('schtasks /End, for real: the launcher is killed (taskkill /F); the monitor drains and exits, and no worker is left', { skip: skipUnlessWin32, timeout: 300_000 }, async () => {
  const { home, profileDir } = gatewayHome('ls-end', { api: { port: 0 } });
  const children: ChildProcess[] = [];
  try {
    const host = wscript(['//B', '//Nologo', writeLauncher(profileDir, specFor(home, profileDir))], launcherEnv(home));
    children.push(host);
    const up = await waitUp(profileDir, 'launcher', host);
    const monitor = readJson<PidRecord>(join(profileDir, 'gatehouse.pid'));
    assert.equal(monitor.pid, up.pid);
    const worker = readJson<StateJson>(join(profileDir, 'state.json')).worker ?? assert.fail('no worker in state.json');
    assert.equal(win32.matchesIdentity(worker), true);
    const handle = k32.kernel32().OpenProcess(k32.SYNCHRONIZE | k32.PROCESS_QUERY_LIMITED_INFORMATION, 0, monitor.pid);
    assert.notEqual(handle, 0);
    try {
      assert.equal(terminate(host.pid ?? assert.fail('no wscript pid')), 'taskkill', 'wscript ended the way Task Scheduler ends an action: hard');
      assert.equal(k32.kernel32().WaitForSingleObject(handle, STEP_TIMEOUT_MS), k32.WAIT_OBJECT_0, 'the monitor exited after its launcher was killed');
      const code = [0];
      assert.notEqual(testKernel32().GetExitCodeProcess(handle, code), 0);
      assert.equal(code[0], 0, 'a drain and a clean exit, not a crash');
    } finally {
      k32.kernel32().CloseHandle(handle);
    }
    await waitFor('the worker to be gone', STEP_TIMEOUT_MS, () => (win32.matchesIdentity(worker) ? undefined : true));
    const events = lifecycleEvents(profileDir).filter((e) => e.instance === monitor.instance).map((e) => e.event);
    const order = ['launcher_gone', 'drain_begin', 'drain_end', 'exit'].map((name) => events.indexOf(name));
    assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > (order[i - 1] as number))), `launcher_gone, drain, exit in order: ${events.join(' ')}`);
    assert.equal(existsSync(join(profileDir, 'gatehouse.pid')), false, 'the PID file went with it');
  } finally {
    cleanup(profileDir, children);
  }
});

/** Windows' default open verb for .js, which Wine's registry lacks: added to the private prefix. */
function ensureJsOpensWithWscript(t: TestContext): void {
  const key = 'HKLM\\Software\\Classes\\JSFile\\Shell\\Open\\Command';
  if (runBounded(REG, ['query', key], { timeoutMs: 30_000 }).ok) return;
  t.diagnostic('this Windows (Wine) has no open verb for .js files: registering Windows\' default');
  const added = runBounded(REG, ['add', key, '/ve', '/d', `"${WSCRIPT}" "%1" %*`, '/f'], { timeoutMs: 30_000 });
  assert.ok(added.ok, `reg add ${key}: ${added.stdout}${added.stderr}`);
}

test('the Startup-folder entry opened as Explorer opens it (ShellExecuteEx through start): the gateway comes up and answers', { skip: skipUnlessWin32, timeout: 300_000 }, async (t) => {
  const { home, profileDir } = gatewayHome('ls-startup', { api: { port: 0 } });
  const startupDir = join(tempDir('ls-startup-dir'), 'Start Menu', 'Programs', 'Startup');
  mkdirSync(startupDir, { recursive: true });
  const children: ChildProcess[] = [];
  try {
    const spec = specFor(home, profileDir);
    const unused = async (): Promise<never> => assert.fail('not called by register');
    const track = createWindowsStartupBackend({ startupDir, profileDir: () => profileDir, gatewayUp: unused, startDetached: unused });
    const registered = await track.register(spec, true);
    assert.ok(registered.ok, registered.detail);
    const entry = startupEntryPath(startupDir, 'default');
    assert.ok(existsSync(entry), `the entry is in the Startup folder: ${entry}`);
    ensureJsOpensWithWscript(t);
    // Explorer opens each Startup entry with ShellExecuteEx and its default verb, as `start` does.
    const env = launcherEnv(home);
    const shell = existsSync(START_EXE)
      ? spawn(START_EXE, [entry], { env, stdio: 'ignore', windowsHide: true })
      : spawn(CMD, ['/d', '/c', `start "" "${entry}"`], { env, stdio: 'ignore', windowsHide: true, windowsVerbatimArguments: true });
    children.push(shell);
    assert.equal(await waitForExit(shell, QUIT_TIMEOUT_MS), 0, 'start handed the entry over and returned');
    const up = await waitUp(profileDir, 'Startup entry');
    assert.equal(up.supervised, true);
    const parent = parentOf(up.pid);
    assert.equal(parent?.exe, 'wscript.exe', 'WSH ran the entry and started the monitor');
    assert.equal(await healthz(profileDir), 200);
    const stop = await runCli(home, ['stop', '--json'], CLI_TIMEOUT_MS);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    await waitFor('wscript to quit after the gateway stopped', STEP_TIMEOUT_MS, () => (parent !== null && win32.isAlive(parent.pid) ? undefined : true));
  } finally {
    cleanup(profileDir, children);
  }
});
