// Exit statuses shared by the CLI, the monitor, the worker and the API. Never pass a bare number to
// process.exit(): name the status here.
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
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Human name of an exit status, for logs and status output. */
export function describeExit(code: number | null, signal?: string | null): string {
  if (signal) return `killed by ${signal}`;
  switch (code) {
    case EXIT.OK: return 'exit 0 (clean)';
    case EXIT.RESTART: return 'exit 75 (restart requested)';
    case EXIT.CONFIG: return 'exit 78 (fatal configuration)';
    case null: return 'unknown exit';
    default: return `exit ${code}`;
  }
}
