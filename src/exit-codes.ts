// Exit statuses shared by the CLI, the monitor, the worker and the API. Never pass a bare number to
// process.exit(): name the status here.
import { constants } from 'node:os';

export const EXIT = {
  /** Success; for a worker or monitor: a planned stop. */
  OK: 0,
  /** Something failed; the message says what. */
  FAILURE: 1,
  /** The command line was wrong. */
  USAGE: 2,
  /** `status`: no gateway is running for the profile. */
  NOT_RUNNING: 3,
  /** Worker: replace me now (no backoff). */
  RESTART: 75,
  /** Fatal configuration: fix the config; restarting cannot help. */
  CONFIG: 78,
  /**
   * Monitor: stopped by a SIGTERM that no planned stop announced (128 + 15, the shell's convention).
   * Not 0, so that a service manager revives a gateway killed by a stray `kill`; the systemd unit
   * lists it in SuccessExitStatus, so `systemctl --user stop` (which sends SIGTERM) ends clean.
   */
  TERMINATED: 143,
} as const;

/** 128 + the signal's number: how a process stopped by a signal it handled reports which one. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  const number = (constants.signals as Record<string, number | undefined>)[signal];
  return number === undefined ? EXIT.FAILURE : 128 + number;
}

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Human name of an exit status, for logs and status output. */
export function describeExit(code: number | null, signal?: string | null): string {
  if (signal) return `killed by ${signal}`;
  switch (code) {
    case EXIT.OK: return 'exit 0 (clean)';
    case EXIT.RESTART: return 'exit 75 (restart requested)';
    case EXIT.CONFIG: return 'exit 78 (fatal configuration)';
    case EXIT.TERMINATED: return 'exit 143 (SIGTERM, not a planned stop)';
    case null: return 'unknown exit';
    default: return `exit ${code}`;
  }
}
