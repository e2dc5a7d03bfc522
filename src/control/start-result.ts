// What `gatehouse start` reports, whichever way it started the gateway (spawned, through systemd or
// launchd, through the Task Scheduler). Its own module so that the ways of starting share it
// without importing the start command.
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
