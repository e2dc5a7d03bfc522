// The answer to a restart, from `gatehouse restart`, the API or the restart signal: replace the
// worker with no refused connection; or, full, replace the monitor too, by the route that can load
// new code here: the host program (hosted), the service manager (exit 75), or a detached watcher
// that starts the new monitor once this one has exited. A config.json that would not start the new
// monitor refuses a full restart while the old one still serves.
import { errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { isSupervised } from '../env.js';
import type { ProcessIdentity } from '../platform/index.js';
import type { RestartReply } from './protocol.js';
import { armRespawn, DEFAULT_RESPAWN_DEADLINE_MS } from './respawn.js';
import type { WorkerSupervisor } from './supervisor.js';
import type { MonitorContext, StopMonitor } from './monitor-types.js';

export interface RestartDeps {
  readonly ctx: MonitorContext;
  readonly self: ProcessIdentity;
  readonly supervisor: WorkerSupervisor;
  readonly stop: StopMonitor;
}

export async function restartGateway(deps: RestartDeps, full: boolean, reason: string): Promise<RestartReply> {
  const { ctx, supervisor, stop } = deps;
  ctx.lifecycle.append('restart', { full, reason });
  if (!full) {
    const outcome = await supervisor.replace(reason);
    return outcome.ok
      ? { kind: 'worker', ok: true, oldWorkerPid: outcome.oldPid, newWorkerPid: outcome.newPid, reason: null }
      : { kind: 'worker', ok: false, oldWorkerPid: supervisor.worker?.pid ?? null, newWorkerPid: null, reason: outcome.reason };
  }
  // The new monitor would read config.json and die on it; refuse while the old one still serves,
  // as a worker restart does when its new worker cannot start.
  const invalid = await configProblem(ctx.paths.config);
  if (invalid !== null) {
    ctx.log.error({ reason: invalid }, 'full restart refused: the configuration does not validate; the old gateway keeps serving');
    ctx.lifecycle.append('restart_refused', { full, reason: invalid });
    return { kind: 'full-refused', reason: invalid };
  }
  const timeoutMs = ctx.config.drain.timeoutMs;
  // Hosted, the monitor's code is the host's: only the host can load new code, so it is told (exit 75).
  if (ctx.host !== undefined) {
    stop(`full restart (${reason}) asked of the host program`, timeoutMs, EXIT.RESTART);
    return { kind: 'full', via: 'host' };
  }
  if (isSupervised()) {
    stop(`full restart (${reason}) through the service manager`, timeoutMs, EXIT.RESTART);
    return { kind: 'full', via: 'service-manager' };
  }
  armRespawn(ctx.paths, { target: deps.self, caller: null, reason: `full restart (${reason})`, stopIfRunning: false, deadlineMs: DEFAULT_RESPAWN_DEADLINE_MS });
  stop(`full restart (${reason})`, timeoutMs);
  return { kind: 'full', via: 'watcher' };
}

/**
 * Why config.json would not start a new monitor, or null when it validates. The full validation
 * (and zod with it) is loaded only here, when a full restart is asked for: the monitor does not
 * carry it all day (gateway/config-core.ts).
 */
async function configProblem(configFile: string): Promise<string | null> {
  try {
    (await import('../gateway/config.js')).loadConfig(configFile);
    return null;
  } catch (error) {
    return errorMessage(error);
  }
}
