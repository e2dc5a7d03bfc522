// Windows: `start` from inside a job that forbids breakaway (a terminal, an IDE, a CI step). The
// monitor it spawned is then inside that job and dies with it. When the profile's Scheduled Task
// is installed, the Task Scheduler starts it instead: processes it starts are outside the caller's
// job. Only when that is not possible does `start` keep the in-job spawn, and it says so.
// Order: the refusal is known only by trying (spawnDetached asks for breakaway and reports
// 'breakaway-refused'). A probe before spawning cannot be trusted where it matters for testing:
// under Wine 8 QueryInformationJobObject answers success with all limit flags zero (checked), so it
// would call every job "no breakaway". So: spawn, and on a refusal ask the task backend; if the
// task can run, end the in-job monitor (seconds old, nothing accepted yet) and /Run the task.
import { errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { ProfilePaths } from '../paths.js';
import { platform, type ProcessIdentity } from '../platform/index.js';
import { killProcessTree, waitGone } from '../runtime/process-tree.js';
import type { Selection } from '../service/select.js';
import type { ServiceBackend, ServiceStatus } from '../service/types.js';
import { confirmStart } from './start-confirm.js';
import type { StartResult } from './start-result.js';

const END_CHILD_WAIT_MS = 10_000;
export const VIA_TASK = 'the Task Scheduler';

export type Route = { readonly use: 'task' } | { readonly use: 'spawn'; readonly why: string };

/** Pure: after a refused breakaway, start through the task, or keep the spawn (and why). */
export function routeAfterRefusedBreakaway(status: ServiceStatus | null): Route {
  const spawn = (why: string): Route => ({ use: 'spawn', why });
  if (status === null) return spawn('no autostart backend could be asked');
  if (status.state === 'unknown') return spawn(`the Task Scheduler did not answer (${status.detail})`);
  if (!status.installed) return spawn('no autostart is installed (`gatehouse install` lets start use the Scheduled Task)');
  if (status.kind !== 'windows-task') return spawn('the autostart is the Startup-folder entry, which nothing can start outside the job');
  if (!status.enabled) return spawn('the Scheduled Task is disabled (installed with --no-login), so it cannot be run');
  return { use: 'task' };
}

export interface RefusedBreakaway {
  readonly backend: Pick<ServiceBackend, 'status' | 'start'>;
  readonly profile: string;
  /** End the monitor just started inside the caller's job; true once it is gone. */
  endInJobChild(): Promise<boolean>;
}

export type RefusedOutcome =
  | { readonly path: 'task'; readonly detail: string }
  /** `respawn`: the in-job monitor was ended, so a plain spawn must start one again. */
  | { readonly path: 'spawn'; readonly why: string; readonly respawn: boolean };

/** The decision and its effects, with the backend injected (tested with the schtasks fake). */
export async function startOutsideJob(input: RefusedBreakaway): Promise<RefusedOutcome> {
  let status: ServiceStatus | null;
  try {
    status = await input.backend.status(input.profile);
  } catch (error) {
    status = { kind: 'windows-task', installed: false, enabled: false, state: 'unknown', files: [], detail: errorMessage(error) };
  }
  const route = routeAfterRefusedBreakaway(status);
  if (route.use === 'spawn') return { path: 'spawn', why: route.why, respawn: false };
  if (!(await input.endInJobChild())) return { path: 'spawn', why: 'the monitor started inside the job could not be ended to make way for the task', respawn: false };
  const started = await input.backend.start(input.profile);
  if (started.ok) return { path: 'task', detail: started.detail };
  return { path: 'spawn', why: `the Scheduled Task did not start it (${started.detail})`, respawn: true };
}

/** End a just-spawned monitor (and whatever it started) by identity, bounded. */
export async function endProcessTree(pid: number): Promise<boolean> {
  const identity: ProcessIdentity | null = platform.processIdentity(pid);
  if (identity === null) return true;
  killProcessTree(identity, 'SIGKILL');
  return waitGone(identity, END_CHILD_WAIT_MS);
}

/**
 * The StartResult of a start through the task, confirmed as every start is (start-confirm.ts). The
 * task's backend returns once the gateway answers; whichever monitor answers is the task's.
 */
export async function confirmTaskStart(paths: ProfilePaths, detail: string, timeoutMs: number): Promise<StartResult> {
  const confirmed = await confirmStart(paths, { gone: () => null, alive: (pid) => platform.isAlive(pid) }, timeoutMs);
  if (!confirmed.ok) {
    const message = confirmed.why === 'timeout' ? `${VIA_TASK} started the gateway (${detail}), but it ${confirmed.message}` : `the gateway ${VIA_TASK} started: ${confirmed.message}`;
    return { ok: false, alreadyRunning: false, pid: confirmed.pid, apiUrl: null, message, exitCode: EXIT.FAILURE, details: [], via: VIA_TASK };
  }
  return {
    ok: true, alreadyRunning: false, pid: confirmed.pid, apiUrl: confirmed.apiUrl, exitCode: EXIT.OK, details: [], via: VIA_TASK, detachedHow: 'task-scheduler', mayDieWithCaller: false,
    message: `started through ${VIA_TASK} (pid ${confirmed.pid}): this caller's job forbids breakaway, and a gateway started by the task is outside it`,
  };
}

/** start.ts's entry: the profile's own autostart backend (selected by the caller), the in-job monitor ended by identity. */
export async function afterRefusedBreakaway(select: () => Promise<Selection>, profile: string, childPid: number): Promise<RefusedOutcome> {
  let selection: Selection;
  try {
    selection = await select();
  } catch (error) {
    return { path: 'spawn', why: `the autostart backend could not be chosen: ${errorMessage(error)}`, respawn: false };
  }
  if (!selection.ok) return { path: 'spawn', why: selection.reason, respawn: false };
  return startOutsideJob({ backend: selection.service.backend, profile, endInJobChild: () => endProcessTree(childPid) });
}
