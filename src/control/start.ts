// `gatehouse start`: launch the monitor detached, then claim success only after it answered on the
// control endpoint and over HTTP, and was still alive after a confirm window. On failure, say why,
// in the gateway's own words from its log.
import { get as httpGet } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { detachedMonitorEnv, ENV } from '../env.js';
import { EXIT } from '../exit-codes.js';
import { ensureProfileDirs, type ProfilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import { spawnDetached, type DetachedSpawn } from '../platform/spawn.js';
import { ENTRY_SCRIPT } from '../version.js';
import { rotateIfLarge } from '../fs-util.js';
import { LifecycleLog } from '../runtime/lifecycle-log.js';
import { MAX_GATEWAY_LOG_BYTES } from '../runtime/log-file.js';
import { releaseAutostartHold } from '../service/autostart-hold.js';
import type { ServiceHost } from '../service/select.js';
import { controlTarget, hello, requestStatus } from './client.js';
import { explainUnproven } from './endpoint-owner.js';
import { fileSize, linesSince, problems } from './log-excerpt.js';
import { startThroughManager } from './start-managed.js';
import { afterRefusedBreakaway, confirmTaskStart } from './start-breakaway.js';
import { DEFAULT_START_CONFIRM_MS, DEFAULT_START_TIMEOUT_MS } from './start-defaults.js';

export { DEFAULT_START_CONFIRM_MS, DEFAULT_START_TIMEOUT_MS };

const POLL_MS = 100;
const PROBE_TIMEOUT_MS = 1_000;
const HEALTH_TIMEOUT_MS = 2_000;

export interface StartResult {
  readonly ok: boolean;
  readonly alreadyRunning: boolean;
  readonly pid: number | null;
  readonly apiUrl: string | null;
  readonly message: string;
  readonly exitCode: number;
  /** The gateway's own account of a failure, from its log. */
  readonly details: readonly string[];
  /** How the gateway was detached from this caller (setsid, breakaway, breakaway-refused...). */
  readonly detachedHow?: string;
  /** Windows: the caller's job forbade breakaway, so the gateway may die with the caller. */
  readonly mayDieWithCaller?: boolean;
  /** The service manager it was started through (systemd, launchd); absent when spawned. */
  readonly via?: string;
  /** Why an installed service's manager was not used (it could not be reached): said, not hidden. */
  readonly note?: string;
}

export interface StartOptions {
  /** false: never through the service manager (the service backends' own "start it now" hook). */
  readonly viaManager?: boolean;
  /** The service host to look the manager up on (tests inject a stateful schtasks fake). */
  readonly host?: ServiceHost;
}

interface ChildExit { code: number | null; signal: NodeJS.Signals | null }

export function confirmWindowMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env[ENV.START_CONFIRM_MS]);
  return Number.isInteger(value) && value >= 0 ? value : DEFAULT_START_CONFIRM_MS;
}

async function alreadyRunning(paths: ProfilePaths): Promise<StartResult | null> {
  const answer = await hello(controlTarget(paths), PROBE_TIMEOUT_MS);
  if (!answer.ok && answer.kind === 'unproven') {
    // Never "already running (pid X)" on the word of something that cannot prove it is ours.
    const owner = explainUnproven(paths, answer.claim);
    return { ok: false, alreadyRunning: false, pid: owner.kind === 'token-mismatch' ? owner.pid : null, apiUrl: null, message: owner.message, exitCode: EXIT.FAILURE, details: [owner.hint] };
  }
  if (!answer.ok) return null;
  return { ok: true, alreadyRunning: true, pid: answer.data.pid, apiUrl: null, message: `already running (pid ${answer.data.pid})`, exitCode: EXIT.OK, details: [] };
}

/**
 * GET /healthz answers 200. Through node:http, not fetch: undici's connect fails under Wine
 * ("connect UNKNOWN"), and a probe this basic should depend on as little as possible.
 */
export function healthy(apiUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpGet(`${apiUrl}/healthz`, { timeout: HEALTH_TIMEOUT_MS }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false)); // not answering yet
  });
}

export async function startGateway(paths: ProfilePaths, timeoutMs = DEFAULT_START_TIMEOUT_MS, options: StartOptions = {}): Promise<StartResult> {
  ensureProfileDirs(paths);
  // A start lifts the hold `gatehouse stop` put on the Windows autostart (service/autostart-hold.ts).
  releaseAutostartHold(paths.dir);
  const running = await alreadyRunning(paths);
  if (running !== null) return running;
  // An installed service (systemd, launchd): its manager starts the one monitor (start-managed.ts).
  const managed = options.viaManager === false ? null : await startThroughManager(paths, timeoutMs, options.host);
  if (managed?.kind === 'done') return managed.result;
  const note = managed?.note ?? null;

  // Rotated here, before the new monitor opens it as its stdout: a running gateway never loses its file.
  rotateIfLarge(paths.gatewayLog, MAX_GATEWAY_LOG_BYTES);
  const logOffset = fileSize(paths.gatewayLog);
  // --home puts the home on the command line, where discovery reads it when the environment of
  // another process cannot be read (Windows' wmic and PowerShell fallbacks).
  const spawnMonitor = (): DetachedSpawn => spawnDetached(process.execPath, [ENTRY_SCRIPT, 'run', '--profile', paths.profile, '--home', paths.home], {
    env: detachedMonitorEnv(), cwd: paths.dir, logFile: paths.gatewayLog,
  });
  let spawned = spawnMonitor();
  // How it was detached (Windows: did it break away from our job?), in the lifecycle log for status.
  const lifecycle = new LifecycleLog(paths.lifecycleLog);
  lifecycle.append('detached', {
    childPid: spawned.pid, how: spawned.detachedHow, mayDieWithCaller: spawned.mayDieWithCaller,
    ...(spawned.mayDieWithCaller ? { warning: 'the job of the process that ran `start` forbids breakaway: the gateway may die when that process exits' } : {}),
  });
  // Windows: the caller's job forbids breakaway, so that monitor would die with the caller. With the
  // profile's Scheduled Task installed, the Task Scheduler starts it outside the job instead
  // (start-breakaway.ts); else the in-job spawn stays, and start says why. Not for the service
  // backends' own start hook (viaManager false): the task itself may be what called it.
  let inJobBecause: string | null = null;
  if (spawned.detachedHow === 'breakaway-refused' && options.viaManager !== false) {
    const routed = await afterRefusedBreakaway(paths, spawned.pid);
    lifecycle.append('start_via', routed.path === 'task' ? { path: 'task', detail: routed.detail } : { path: 'spawn', reason: routed.why });
    if (routed.path === 'task') return confirmTaskStart(paths, routed.detail, { runningApiUrl, healthy, confirmMs: confirmWindowMs() });
    inJobBecause = routed.why;
    if (routed.respawn) {
      spawned = spawnMonitor();
      lifecycle.append('detached', { childPid: spawned.pid, how: spawned.detachedHow, mayDieWithCaller: spawned.mayDieWithCaller });
    }
  }
  let exited: ChildExit | null = null;
  spawned.child?.on('exit', (code, signal) => { exited = { code, signal }; });
  // Without a ChildProcess (Windows) the exit code is unknown; liveness tells that it is gone.
  const noteGone = (): void => { if (exited === null && spawned.child === null && !platform.isAlive(spawned.pid)) exited = { code: null, signal: null }; };
  const failure = (message: string, exitCode: number = EXIT.FAILURE): StartResult => ({
    ok: false, alreadyRunning: false, pid: spawned.pid, apiUrl: null, message, exitCode,
    details: problems(linesSince(paths.gatewayLog, logOffset)),
  });

  const deadline = Date.now() + timeoutMs;
  let apiUrl: string | null = null;
  while (apiUrl === null) {
    noteGone();
    if (exited !== null) {
      const winner = await alreadyRunning(paths); // lost a race with a concurrent start
      if (winner !== null) return winner;
      const { code, signal } = exited as ChildExit;
      return failure(`the gateway exited while starting (${signal ?? (code === null ? 'exit code unknown' : `exit ${code}`)})`, code === EXIT.CONFIG ? EXIT.CONFIG : EXIT.FAILURE);
    }
    if (Date.now() > deadline) return failure(`the gateway did not answer within ${timeoutMs} ms (pid ${spawned.pid} may still be starting)`);
    const answer = await hello(controlTarget(paths), PROBE_TIMEOUT_MS);
    if (answer.ok && answer.data.pid !== spawned.pid) {
      const winner = await alreadyRunning(paths);
      if (winner !== null) return winner;
    }
    if (answer.ok && answer.data.state === 'running') apiUrl = await runningApiUrl(paths);
    if (apiUrl === null) await sleep(POLL_MS);
  }
  if (!(await healthy(apiUrl))) return failure(`the gateway answered on its control endpoint but not on ${apiUrl}/healthz`);
  await sleep(confirmWindowMs());
  const still = await hello(controlTarget(paths), PROBE_TIMEOUT_MS);
  if (exited !== null || !platform.isAlive(spawned.pid) || !still.ok || still.data.pid !== spawned.pid) {
    return failure('the gateway answered, then died within the confirm window');
  }
  const message = spawned.mayDieWithCaller
    ? `started (pid ${spawned.pid}), but inside the caller's job (it forbids breakaway): it may die when the process that ran \`start\` exits` +
      (inJobBecause === null ? '' : `; not through the Task Scheduler: ${inJobBecause}`)
    : `started (pid ${spawned.pid})`;
  return {
    ok: true, alreadyRunning: false, pid: spawned.pid, apiUrl, message, exitCode: EXIT.OK, details: [],
    detachedHow: spawned.detachedHow, mayDieWithCaller: spawned.mayDieWithCaller,
    ...(note === null ? {} : { note: `started without the service manager: ${note}` }),
  };
}

export async function runningApiUrl(paths: ProfilePaths): Promise<string | null> {
  const status = await requestStatus(controlTarget(paths), PROBE_TIMEOUT_MS);
  return status.ok ? status.data.apiUrl : null;
}
