// How long to wait before trying a request again after a 5xx or a network failure: exponential
// from 500 ms to 30 s, each delay spread by +-50 % so that many chats retrying after one outage do
// not come back in lockstep. Like src/runtime/backoff.ts, the random source is injectable.
export const RETRY_BASE_MS = 500;
export const RETRY_MAX_MS = 30_000;
export const RETRY_JITTER = 0.5;
/** A 409 (another poller on this token) or a 401 is not retried faster than this. */
export const SLOW_RETRY_MS = 30_000;

/** Delay before attempt `attempt + 1` (attempt counts failures so far, from 1). */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}
