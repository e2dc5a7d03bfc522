// Pacing for retried model calls (429, 5xx, a refused connection, a stalled or cut stream): a delay
// that doubles from BASE_RETRY_DELAY_MS to MAX_RETRY_DELAY_MS with the same jitter as worker
// restarts (runtime/backoff.ts), never shorter than what the server asked for in Retry-After. A
// server that asks for more than MAX_RETRY_AFTER_MS (a quota that resets in an hour) is not waited
// for: the message fails with that reason instead of holding its session for so long.
import { JITTER } from '../../runtime/backoff.js';

/** The first retry waits about this long ... */
export const BASE_RETRY_DELAY_MS = 1_000;
/** ... doubling up to this. */
export const MAX_RETRY_DELAY_MS = 30_000;
/** The longest Retry-After that is honoured by waiting. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: string };

export class RetryPolicy {
  /** `random` returns [0, 1); 0.5 means no jitter (tests pin it, and shorten the base delay). */
  constructor(
    private readonly maxRetries: number,
    private readonly random: () => number = Math.random,
    private readonly baseDelayMs: number = BASE_RETRY_DELAY_MS,
  ) {}

  /** After failed attempt number `attempt` (1 for the first call): whether and when to try again. */
  next(attempt: number, retryAfterMs: number | null): RetryDecision {
    if (attempt > this.maxRetries) return { retry: false, reason: `gave up after ${attempt} attempts` };
    if (retryAfterMs !== null && retryAfterMs > MAX_RETRY_AFTER_MS) {
      return { retry: false, reason: `the server asks to wait ${Math.ceil(retryAfterMs / 1000)} s before retrying` };
    }
    const base = Math.min(MAX_RETRY_DELAY_MS, this.baseDelayMs * 2 ** (attempt - 1));
    const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * this.random()));
    return { retry: true, delayMs: Math.max(jittered, retryAfterMs ?? 0) };
  }
}

/**
 * The wait a 429/503 asks for, in ms: `retry-after-ms` (OpenAI's), else `Retry-After` as seconds or
 * an HTTP date. null when absent or unreadable.
 */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | null {
  const ms = single(headers['retry-after-ms'])?.trim();
  if (ms !== undefined && NUMBER.test(ms)) return Math.ceil(Number(ms));
  const value = single(headers['retry-after'])?.trim();
  if (value === undefined || value === '') return null;
  if (NUMBER.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

const NUMBER = /^\d+(\.\d+)?$/;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
