// The monitor's contract with what starts it (run.ts, the library's runGateway) and what its parts
// share: the context it runs in, the host program it may run inside, and who it is for its life.
import type { MonitorConfig } from '../gateway/config-core.js';
import type { ProfilePaths } from '../paths.js';
import type { JobMembership, ProcessIdentity } from '../platform/index.js';
import type { LifecycleLog } from './lifecycle-log.js';
import type { Logger } from './json-log.js';
import type { WorkerOutput } from './worker-output.js';

export interface MonitorContext {
  readonly paths: ProfilePaths;
  readonly config: MonitorConfig;
  readonly token: string;
  readonly log: Logger;
  /** The workers' stdout and stderr, written to the gateway log by the monitor (its one writer). */
  readonly output: WorkerOutput;
  readonly lifecycle: LifecycleLog;
  readonly instance: string;
  readonly argv: readonly string[];
  /**
   * Set when the monitor runs inside another program (the library's runGateway): the process is
   * the host's, so the monitor installs no signal handlers, answers a full restart by ending with
   * exit 75 for the host to act on, releases everything it holds, and calls exit instead of
   * process.exit.
   */
  readonly host?: MonitorHost;
}

export interface MonitorHost {
  /** The monitor has released everything (lock, sockets, files, worker) and is done. */
  exit(code: number, reason: string): void;
}

/** Who this monitor is, fixed at its start: what the PID file, the state file and the replies say. */
export interface MonitorIdentity {
  readonly self: ProcessIdentity;
  readonly startedAt: string;
  readonly detached: boolean;
  /**
   * Read once, before the worker exists: a process never leaves a job, and under Wine 8
   * IsProcessInJob reports a process in a job once it has put a child into its own (libuv's) job.
   */
  readonly job: JobMembership;
}

/** The one way a door (signal, marker, launcher, control, restart) stops the monitor: drain, then exit. */
export type StopMonitor = (reason: string, timeoutMs: number, exitCode?: number) => void;
