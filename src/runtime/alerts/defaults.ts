// The alert settings' defaults, apart from their zod schema (config.ts) so that the monitor, which
// reads its config without zod (gateway/config-core.ts), uses the very same numbers.
/** The gateway answers nothing (and was not stopped on purpose) for this long: `gateway_down`. */
export const DEFAULT_DOWN_AFTER_MS = 120_000;
/** The worker misses pings for this long: `worker_wedged`. */
export const DEFAULT_WEDGED_AFTER_MS = 30_000;
/** An alert that could not be delivered for this long is given up (kept in alerts/failed/). */
export const DEFAULT_DELIVERY_DEADLINE_MS = 60 * 60_000;
/** A chat channel has not completed a poll of its platform for this long: `channel_poll_stale:<name>`. */
export const DEFAULT_POLL_STALE_AFTER_MS = 180_000;
/**
 * pollStaleAfterMs must exceed each channel's long-poll timeout by at least this much: an idle long
 * poll comes back empty after pollTimeoutS (a success), and must never look like a silent channel.
 */
export const POLL_STALE_MARGIN_MS = 5_000;
