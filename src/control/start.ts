// `gatehouse start`: launch the monitor detached, then claim success only after it answered on the
// control endpoint and over HTTP, and was still alive after a confirm window. On failure, say why,
// in the gateway's own words from its log.
import { detachedMonitorEnv } from '../env.js';
import { EXIT } from '../exit-codes.js';
import { ensureProfileDirs, type ProfilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import { spawnDetached, type DetachedSpawn } from '../platform/spawn.js';
import { ENTRY_SCRIPT } from '../version.js';
import { controlTarget, hello } from '../runtime/control-client.js';
import { LifecycleLog } from '../runtime/lifecycle-log.js';
import { carryCrashLog } from '../runtime/crash-log.js';
import { releaseAutostartHold } from '../service/autostart-hold.js';
import type { Selection, ServiceHost } from '../service/select.js';
import type { ServiceResult } from '../service/types.js';
import { explainUnproven } from './endpoint-owner.js';
import { linesSince, LOG_START, logMark, problems } from './log-excerpt.js';
import { selectFor } from './service-select.js';
import { afterRefusedBreakaway, confirmTaskStart } from './start-breakaway.js';
import { confirmStart } from './start-confirm.js';
import { DEFAULT_START_CONFIRM_MS, DEFAULT_START_TIMEOUT_MS } from './start-defaults.js';
import { startThroughManager } from './start-managed.js';
import type { StartResult } from './start-result.js';

export { DEFAULT_START_CONFIRM_MS, DEFAULT_START_TIMEOUT_MS, type StartResult };

const PROBE_TIMEOUT_MS = 1_000;

export interface StartOptions {
  /** false: never through the service manager (the service backends' own "start it now" hook). */
  readonly viaManager?: boolean;
  /** The service host to look the manager up on (tests inject a stateful schtasks fake). */
  readonly host?: ServiceHost;
}

interface ChildExit { code: number | null; signal: NodeJS.Signals | null }

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

/** The Windows tracks' "start it now" (service-select.ts): this start, never through the manager. */
export async function startDetached(paths: ProfilePaths): Promise<ServiceResult> {
  const started = await startGateway(paths, undefined, { viaManager: false });
  return { ok: started.ok, exitCode: started.exitCode, timedOut: false, detail: [started.message, ...started.details].join('; ') };
}

export async function startGateway(paths: ProfilePaths, timeoutMs = DEFAULT_START_TIMEOUT_MS, options: StartOptions = {}): Promise<StartResult> {
  ensureProfileDirs(paths);
  // A start lifts the hold `gatehouse stop` put on the Windows autostart (service/autostart-hold.ts).
  releaseAutostartHold(paths.dir);
  const running = await alreadyRunning(paths);
  if (running !== null) return running;
  // An installed service (systemd, launchd): its manager starts the one monitor (start-managed.ts).
  const select = (): Promise<Selection> => selectFor(paths, options.host, startDetached);
  const managed = options.viaManager === false ? null : await startThroughManager(paths, timeoutMs, select);
  if (managed?.kind === 'done') return managed.result;
  const note = managed?.note ?? null;

  // The monitor's own stdout and stderr are the crash log (runtime/crash-log.ts): what an earlier
  // one left there moves to the gateway log first, so only the new monitor's words are quoted.
  carryCrashLog(paths.crashLog, paths.gatewayLog);
  const logOffset = logMark(paths.gatewayLog);
  // --home puts the home on the command line, where discovery reads it when the environment of
  // another process cannot be read (Windows' wmic and PowerShell fallbacks).
  const spawnMonitor = (): DetachedSpawn => spawnDetached(process.execPath, [ENTRY_SCRIPT, 'run', '--profile', paths.profile, '--home', paths.home], {
    env: detachedMonitorEnv(), cwd: paths.dir, logFile: paths.crashLog,
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
    const routed = await afterRefusedBreakaway(select, paths.profile, spawned.pid);
    lifecycle.append('start_via', routed.path === 'task' ? { path: 'task', detail: routed.detail } : { path: 'spawn', reason: routed.why });
    if (routed.path === 'task') return confirmTaskStart(paths, routed.detail, timeoutMs);
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
    details: problems([...linesSince(paths.gatewayLog, logOffset), ...linesSince(paths.crashLog, LOG_START)]),
  });

  const child = spawned; // the monitor being confirmed (after a respawn above, the second one)
  const confirmed = await confirmStart(paths, {
    gone() {
      noteGone();
      if (exited === null) return null;
      const { code, signal } = exited as ChildExit;
      return `the gateway exited while starting (${signal ?? (code === null ? 'exit code unknown' : `exit ${code}`)})`;
    },
    isOther: (answer) => answer.pid !== child.pid,
    alive: (pid) => exited === null && pid === child.pid && platform.isAlive(pid),
  }, timeoutMs);
  if (!confirmed.ok) {
    // Lost a race with a concurrent start: its gateway is the one running, and that is a success.
    if (confirmed.why === 'gone' || confirmed.why === 'other') {
      const winner = await alreadyRunning(paths);
      if (winner !== null) return winner;
    }
    const code = (exited as ChildExit | null)?.code;
    if (confirmed.why === 'timeout') return failure(`the gateway ${confirmed.message} (pid ${spawned.pid} may still be starting)`);
    return failure(confirmed.message, confirmed.why === 'gone' && code === EXIT.CONFIG ? EXIT.CONFIG : EXIT.FAILURE);
  }
  const { apiUrl } = confirmed;
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
