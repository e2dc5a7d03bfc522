// The start command's defaults, apart from the start code so that the CLI can show them in --help
// without loading what starting needs.
export const DEFAULT_START_TIMEOUT_MS = 30_000;
/**
 * The stability window (start-confirm.ts): after the first answer (the monitor says running only
 * once its worker reported ready, and /healthz answered), the same monitor must still run the same
 * worker this much later. What it catches is what fails in the first steps after ready: the resume
 * of messages an earlier worker left unanswered, the channels' start, an agent module's first timers,
 * the monitor's own post-ready steps (on Windows, a launcher already gone); a worker that exits there
 * has been seen by its monitor (a child's exit reaches it within milliseconds) and replaced or
 * missing by the second look. 250 ms is many event-loop turns for those steps, with room for a busy
 * machine; a longer window would prove nothing more, only delay every start: what fails later is the
 * supervisor's to respawn and `status`'s to report. GATEHOUSE_START_CONFIRM_MS overrides it.
 */
export const DEFAULT_START_CONFIRM_MS = 250;
