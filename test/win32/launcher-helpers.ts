// The real JScript launcher under Wine's wscript.exe, for the Windows suite: a profile's launcher
// written from a spec, wscript started the way the task starts it, the gateway it runs observed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hello, type ControlTarget } from '../../src/runtime/control-client.js';
import { readToken } from '../../src/gateway/token.js';
import { platform } from '../../src/platform/index.js';
import { terminate, win32 } from '../../src/platform/win32.js';
import * as k32 from '../../src/platform/win32-kernel32.js';
import { killProcessTree } from '../../src/runtime/process-tree.js';
import { buildServiceSpec } from '../../src/service/spec.js';
import type { ServiceSpec } from '../../src/service/types.js';
import { LAUNCHER_FILE, renderLauncher, type RestartGuard } from '../../src/service/windows-launcher.js';
import { ENTRY_SCRIPT } from '../../src/version.js';
import { http, lifecycleEvents, readJson } from './gateway-helpers.js';

export const STEP_TIMEOUT_MS = 90_000;
const SYSTEM32 = join(process.env.SystemRoot ?? process.env.windir ?? 'C:\\windows', 'System32');
export const WSCRIPT = join(SYSTEM32, 'wscript.exe');

export interface PidRecord { pid: number; startTime: number; instance: string }
export interface StateJson { api: { url: string } | null; worker: { pid: number; startTime: number } | null }

export function specFor(home: string, profileDir: string, paths: { nodePath?: string; entryScript?: string } = {}): ServiceSpec {
  return buildServiceSpec({
    nodePath: paths.nodePath ?? process.execPath, entryScript: paths.entryScript ?? ENTRY_SCRIPT, home,
    workingDirectory: profileDir, logDir: join(profileDir, 'logs'),
  });
}

export function writeLauncher(profileDir: string, spec: ServiceSpec, guard?: RestartGuard): string {
  const path = join(profileDir, LAUNCHER_FILE);
  writeFileSync(path, renderLauncher(spec, guard));
  return path;
}

/** What the launcher sets itself on Windows; given up front under Wine (its WSH cannot set it). */
export function launcherEnv(home: string): NodeJS.ProcessEnv {
  return { ...process.env, GATEHOUSE_HOME: home, GATEHOUSE_SUPERVISED: '1' };
}

/** wscript.exe ARGS. Detached, so that it is in no job of ours (libuv's) and its children neither. */
export function wscript(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(WSCRIPT, args, { env, detached: true, stdio: 'ignore', windowsHide: true });
}

/** The profile's control endpoint and its token, read now. */
export function targetOf(profileDir: string): ControlTarget {
  return { address: platform.controlEndpoint(profileDir).address, key: readToken(join(profileDir, 'token')) };
}

/** The monitor answers on its control endpoint and is running (worker up); its hello. */
export async function waitUp(profileDir: string, what: string, quitEarly?: ChildProcess) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    // The monitor creates the token at its start: read it each time (null until then).
    const answer = await hello(targetOf(profileDir), 1_000);
    if (answer.ok && answer.data.state === 'running') return answer.data;
    if (quitEarly !== undefined && quitEarly.exitCode !== null) assert.fail(`${what}: wscript quit (exit ${quitEarly.exitCode}) before a gateway answered`);
    if (Date.now() > deadline) assert.fail(`${what}: no gateway answered within ${STEP_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

export function parentOf(pid: number): { pid: number; exe: string } | null {
  const rows = k32.kernel32().listProcesses() ?? [];
  const row = rows.find((r) => r.th32ProcessID === pid);
  if (row === undefined) return null;
  const parent = rows.find((r) => r.th32ProcessID === row.th32ParentProcessID);
  return { pid: row.th32ParentProcessID, exe: parent?.szExeFile.toLowerCase() ?? '' };
}

export async function healthz(profileDir: string): Promise<number> {
  const state = readJson<StateJson>(join(profileDir, 'state.json'));
  return (await http('GET', `${state.api?.url ?? assert.fail('no api url in state.json')}/healthz`)).status;
}

/** Leave nothing running: the gateway tree (by identity) and any wscript we started. */
export function cleanup(profileDir: string, children: readonly ChildProcess[]): void {
  const pidFile = join(profileDir, 'gatehouse.pid');
  if (existsSync(pidFile)) {
    const monitor = readJson<PidRecord>(pidFile);
    if (win32.matchesIdentity(monitor)) killProcessTree(monitor, 'SIGKILL');
  }
  for (const child of children) if (child.pid !== undefined && child.exitCode === null) terminate(child.pid);
}


/** The processes whose parent is `pid` (by the Toolhelp snapshot): pid and executable name. */
export function childrenOf(pid: number): Array<{ pid: number; exe: string }> {
  return (k32.kernel32().listProcesses() ?? []).filter((r) => r.th32ParentProcessID === pid && r.th32ProcessID !== pid)
    .map((r) => ({ pid: r.th32ProcessID, exe: r.szExeFile.toLowerCase() }));
}

export type Hello = Awaited<ReturnType<typeof waitUp>>;

/** A running monitor other than `old` (the one a restart replaced); fails if the launcher quits first. */
export async function waitReplaced(profileDir: string, old: Hello, host: ChildProcess): Promise<Hello> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    // The monitor creates the token at its start: read it each time (null until then).
    const answer = await hello(targetOf(profileDir), 1_000);
    if (answer.ok && answer.data.state === 'running' && answer.data.instance !== old.instance) return answer.data;
    if (host.exitCode !== null) assert.fail(`wscript quit (exit ${host.exitCode}) instead of starting a new monitor`);
    if (Date.now() > deadline) assert.fail(`no new monitor answered within ${STEP_TIMEOUT_MS} ms after pid ${old.pid}`);
    await sleep(100);
  }
}

/** The new monitor is the launcher's child, the launcher's only one, and supervised. */
export function assertUnderLauncher(monitor: Hello, host: ChildProcess, what: string): void {
  assert.equal(monitor.supervised, true, `${what}: started as the service`);
  assert.deepEqual(parentOf(monitor.pid), { pid: host.pid, exe: 'wscript.exe' }, `${what}: the new monitor is the launcher's child`);
  // node.exe only: Wine gives the hidden console its own conhost.exe child of wscript.
  const nodes = childrenOf(host.pid ?? -1).filter((c) => c.exe === 'node.exe').map((c) => c.pid);
  assert.deepEqual(nodes, [monitor.pid], `${what}: exactly one monitor under the launcher`);
  assert.equal(host.exitCode, null, `${what}: the launcher still runs`);
}

export function exitCodesOf(profileDir: string): unknown[] {
  return lifecycleEvents(profileDir).filter((e) => e.event === 'exit').map((e) => e.code);
}
