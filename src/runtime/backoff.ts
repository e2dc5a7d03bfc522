// Restart pacing for the worker: the first respawn at once, then exponential delays with jitter, a reset after
// a long healthy run, and a crash-loop breaker (too many crashes in a window -> a long pause). The
// exponential step with jitter (backoffDelayMs) is the one every other retry loop uses too.
// The clock is injectable so tests drive it without waiting.

export const FIRST_RESTART_DELAY_MS = 0;
export const BASE_RESTART_DELAY_MS = 500;
export const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that ran this long is healthy again: the next crash starts the backoff from scratch. */
export const HEALTHY_RUN_MS = 60_000;
/** The breaker opens at CRASH_LOOP_COUNT crashes within CRASH_LOOP_WINDOW_MS ... */
export const CRASH_LOOP_COUNT = 5;
export const CRASH_LOOP_WINDOW_MS = 60_000;
/** ... and then waits this long before the next try. */
export const BREAKER_PAUSE_MS = 5 * 60_000;
/** Delays are spread by a random factor in [1 - JITTER, 1 + JITTER], so gateways that crashed
 * together (a shared dependency went away) do not come back in lockstep. */
export const JITTER = 0.5;

/** An exponential pacing: the first delay, and the ceiling it doubles up to. */
export interface Pacing {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * The delay before try `n + 1` after `n` failures in a row (n from 1): baseMs doubling up to maxMs,
 * spread by the same JITTER. Shared by every retry loop (worker restarts, alert delivery, the
 * Telegram channel), each with its own pacing.
 */
export function backoffDelayMs(n: number, pacing: Pacing, random: () => number = Math.random): number {
  const base = Math.min(pacing.maxMs, pacing.baseMs * 2 ** Math.max(0, n - 1));
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface RestartDecision {
  readonly delayMs: number;
  readonly breakerOpen: boolean;
  /** Crashes counted in the current window. */
  readonly recentCrashes: number;
}

export class RestartBackoff {
  private crashes: number[] = [];
  private consecutive = 0;

  /** `random` returns [0, 1); 0.5 means no jitter (tests pin it). */
  constructor(private readonly clock: Clock = systemClock, private readonly random: () => number = Math.random) {}

  /** Record a crash of a worker that began serving at startedAt; say how long to wait before the next one. */
  onCrash(startedAt: number): RestartDecision {
    const now = this.clock.now();
    if (now - startedAt >= HEALTHY_RUN_MS) this.consecutive = 0;
    this.crashes = [...this.crashes.filter((t) => now - t < CRASH_LOOP_WINDOW_MS), now];
    const recentCrashes = this.crashes.length;
    if (recentCrashes >= CRASH_LOOP_COUNT) {
      this.crashes = [];
      this.consecutive = 0;
      return { delayMs: BREAKER_PAUSE_MS, breakerOpen: true, recentCrashes };
    }
    const delayMs = this.consecutive === 0 ? FIRST_RESTART_DELAY_MS : backoffDelayMs(this.consecutive, { baseMs: BASE_RESTART_DELAY_MS, maxMs: MAX_RESTART_DELAY_MS }, this.random);
    this.consecutive += 1;
    return { delayMs, breakerOpen: false, recentCrashes };
  }
}
