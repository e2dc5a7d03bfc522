// The supervisor's contract with the monitor: its options and what its operations report.
import type { Clock, RestartBackoff } from './backoff.js';
import type { Logger } from './json-log.js';
import type { LifecycleLog } from './lifecycle-log.js';
import type { WorkerExit } from './state-file.js';
import type { WorkerSpawner } from './worker-handle.js';
import type { OutputCapture } from './worker-output.js';

export interface SupervisorOptions {
  readonly entry: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Where each worker's stdout and stderr go (the gateway log). */
  readonly output?: OutputCapture;
  readonly log: Logger;
  readonly lifecycle: LifecycleLog;
  /** The worker ended in a way that must end the monitor too (exit 78, fatal configuration). */
  readonly onFinal: (code: number, reason: string) => void;
  /** Something status shows changed (restart count, last exit, breaker). */
  readonly onChange: () => void;
  /** The worker relayed an API restart request. */
  readonly onRestartRequest: (full: boolean) => void;
  /** How long a worker replaced by a restart may drain. */
  readonly restartDrainMs: number;
  readonly backoff?: RestartBackoff;
  /** Lets the monitor answer authorized /metrics scrapes itself while the breaker is open. */
  readonly token?: string;
  /** When the monitor started (ms since the epoch), for its uptime in /metrics. */
  readonly startedAtMs?: number;
  /** Starts worker processes; the real child by default, a fake in the unit tests. */
  readonly spawner?: WorkerSpawner;
  readonly clock?: SupervisorClock;
  /** Keep a warm standby worker (config `supervisor.standby`); off when not given. */
  readonly standby?: boolean;
}

export interface DrainOutcome {
  readonly inFlight: number | null;
  readonly completed: number | null;
  readonly resumePending: number | null;
  readonly killed: boolean;
}

export type ReplaceOutcome =
  | { readonly ok: true; readonly oldPid: number | null; readonly newPid: number }
  | { readonly ok: false; readonly reason: string };

export class WorkerStartError extends Error {
  constructor(readonly exit: WorkerExit) {
    super(`the worker exited before it was ready (${exit.reason})`);
  }
}

/** The supervisor's time: now() for the backoff and the breaker, after() for its timers. Tests drive a fake one. */
export interface SupervisorClock extends Clock {
  /** Call fn after ms; returns the cancel. A background timer does not keep the process alive. */
  after(ms: number, fn: () => void, background?: boolean): () => void;
}

export const systemSupervisorClock: SupervisorClock = {
  now: () => Date.now(),
  after(ms, fn, background = false) {
    const timer = setTimeout(fn, ms);
    if (background) timer.unref();
    return () => clearTimeout(timer);
  },
};
