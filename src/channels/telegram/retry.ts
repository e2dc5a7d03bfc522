// How long to wait before trying a request again after a 5xx or a network failure: exponential
// from 500 ms to 30 s, each delay spread by +-50 % so that many chats retrying after one outage do
// not come back in lockstep: src/runtime/backoff.ts's step, with this pacing.
import { backoffDelayMs, type Pacing } from '../../runtime/backoff.js';

export const RETRY_PACING: Pacing = { baseMs: 500, maxMs: 30_000 };
/** A 409 (another poller on this token) or a 401 is not retried faster than this. */
export const SLOW_RETRY_MS = 30_000;

/** Delay before attempt `attempt + 1` (attempt counts failures so far, from 1). */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  return backoffDelayMs(attempt, RETRY_PACING, random);
}
