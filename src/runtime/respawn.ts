// Arming a respawn: a detached watcher process that outlives its caller (an updater, a restarting
// monitor), waits for the caller and the old monitor to be gone, then starts the new monitor once.
import { ENV } from '../env.js';
import type { ProfilePaths } from '../paths.js';
import { platform, type ProcessIdentity } from '../platform/index.js';
import { spawnDetached } from '../platform/spawn.js';
import { ENTRY_SCRIPT } from '../version.js';

/** How long a watcher waits for its caller and the old monitor before giving up. */
export const DEFAULT_RESPAWN_DEADLINE_MS = 120_000;
export const RESPAWN_WATCH_COMMAND = '__respawn-watch';

export interface RespawnRequest {
  /** The monitor to replace; the watcher never starts a new one while it lives. */
  readonly target: ProcessIdentity;
  /** Wait for this process to exit first (an updater). */
  readonly caller: ProcessIdentity | null;
  readonly reason: string;
  /** Once the caller is gone, ask a still-running target to drain and stop. */
  readonly stopIfRunning: boolean;
  /**
   * The target runs under a service manager (its hello said supervised): the respawn goes through
   * the manager (a full restart over the control endpoint, exit 75; or the manager's start when the
   * target is already gone), never a monitor started beside it.
   */
  readonly supervised?: boolean;
  readonly deadlineMs: number;
}

export function identityOf(pid: number): ProcessIdentity | null {
  return platform.processIdentity(pid);
}

/** `PID:STARTTIME[:TICKS]` on the watcher's command line (ticks on Linux: ProcessIdentity.startTicks). */
function formatIdentity(identity: ProcessIdentity): string {
  return [identity.pid, identity.startTime, ...(identity.startTicks === undefined ? [] : [identity.startTicks])].join(':');
}

export function respawnArgs(profile: string, request: RespawnRequest): string[] {
  return [
    ENTRY_SCRIPT, RESPAWN_WATCH_COMMAND, '--profile', profile,
    '--target', formatIdentity(request.target),
    ...(request.caller === null ? [] : ['--caller', formatIdentity(request.caller)]),
    '--reason', request.reason,
    '--deadline-ms', String(request.deadlineMs),
    ...(request.stopIfRunning ? ['--stop-if-running'] : []),
    ...(request.supervised === true ? ['--supervised'] : []),
  ];
}

/** Start the watcher through the one detached spawn used everywhere; returns its pid. */
export function armRespawn(paths: ProfilePaths, request: RespawnRequest): number {
  const env = { ...process.env };
  delete env[ENV.ROLE];
  delete env[ENV.SUPERVISED];
  delete env[ENV.INSTANCE];
  return spawnDetached(process.execPath, respawnArgs(paths.profile, request), { env, cwd: paths.dir, logFile: paths.crashLog }).pid;
}

export function parseIdentity(value: string): ProcessIdentity {
  const parts = value.split(':');
  const [pid, startTime, startTicks] = parts.map(Number);
  const ticksOk = parts.length === 2 || (parts.length === 3 && Number.isInteger(startTicks) && (startTicks as number) >= 0);
  if (!Number.isInteger(pid) || pid === undefined || pid <= 0 || startTime === undefined || !Number.isFinite(startTime) || !ticksOk) {
    throw new Error(`expected PID:STARTTIME[:TICKS], got ${JSON.stringify(value)}`);
  }
  return startTicks === undefined ? { pid, startTime } : { pid, startTime, startTicks };
}
