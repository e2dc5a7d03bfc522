// The long-poll loop: getUpdates with the offset recorded with the last update committed (never
// drop_pending_updates: what arrived while we were away is fetched, then the catch-up policy
// decides), each update committed before the next call confirms it to Telegram. It pauses while
// the channel holds its maximum of unanswered messages, so Telegram keeps the rest. A 409 (another
// poller on the token somewhere) and a 401 are reported and retried slowly, never in a tight loop.
//
// Update ids are not always sequential: "If there are no new updates for at least a week, then
// identifier of the next update will be chosen randomly instead of sequentially"
// (https://core.telegram.org/bots/api#getupdates), and another Bot API server counts its own. An
// offset past the new ids confirms none of them (tdlib refuses it as "in the future" and answers
// from the head of its queue), so a bot that asks with max(seen) + 1 gets the same batch forever
// (go-telegram-bot-api#156). So the offset is always one past the update received last, and an
// update below the offset that was asked with is the start of a new sequence: recorded as such
// before its commit, so its ids count as new even where they repeat old ones.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../runtime/json-log.js';
import type { BotApi } from './bot-api.js';
import { faultPoint } from './fault.js';
import type { CommitResult } from './inbound.js';
import { retryDelayMs, SLOW_RETRY_MS } from './retry.js';
import type { TelegramTables } from './tables.js';
import type { TgUpdate } from './types.js';

/** Extra time over the long-poll timeout before a getUpdates without an answer counts as failed. */
const POLL_GRACE_MS = 15_000;
/** Telegram returns at most 100 updates per call. */
const MAX_BATCH = 100;
const FULL_WAIT_MS = 50;

export type PollerEvent =
  | { readonly kind: 'polled'; readonly updates: number }
  /** Telegram answered a getUpdates with this offset, and what it handed out is committed: every update below it is confirmed. */
  | { readonly kind: 'confirmed'; readonly offset: number }
  /** Telegram's update ids started over: `updateId` came while the offset was `offset`; the ledger is in `sequence` now. */
  | { readonly kind: 'sequence-restarted'; readonly offset: number; readonly updateId: number; readonly sequence: number }
  /** Polling holds back (the channel holds its maximum of unanswered messages), or takes up again. */
  | { readonly kind: 'paused' }
  | { readonly kind: 'resumed' }
  | { readonly kind: 'conflict'; readonly detail: string }
  | { readonly kind: 'unauthorized'; readonly detail: string }
  | { readonly kind: 'error'; readonly detail: string };

export interface PollerDeps {
  readonly api: BotApi;
  readonly tables: TelegramTables;
  readonly log: Logger;
  readonly pollTimeoutS: number;
  /** How many more messages may be taken now. */
  readonly capacity: () => number;
  readonly commit: (update: TgUpdate) => CommitResult;
  readonly event: (event: PollerEvent) => void;
}

export class Poller {
  private readonly aborter = new AbortController();
  private loop: Promise<void> | null = null;
  private full = false;

  constructor(private readonly deps: PollerDeps) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Stop taking updates: the long poll in flight is cut (its updates were not committed, so Telegram keeps them). */
  async stop(): Promise<void> {
    this.aborter.abort();
    await this.loop;
  }

  private get stopped(): boolean {
    return this.aborter.signal.aborted;
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.aborter.signal }).catch(() => { /* stopped */ });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const free = this.deps.capacity();
      if (free <= 0) {
        if (!this.full) this.deps.event({ kind: 'paused' });
        this.full = true;
        await this.pause(FULL_WAIT_MS);
        continue;
      }
      if (this.full) this.deps.event({ kind: 'resumed' });
      this.full = false;
      const wait = await this.once(Math.min(MAX_BATCH, free), failures);
      if (wait === 0) failures = 0;
      else failures += 1;
      if (wait > 0) await this.pause(wait);
    }
  }

  /**
   * Below the offset Telegram was asked with, which it never hands out again within a sequence: its
   * ids started over. Unless it is the very message the ledger holds (same id, chat and message
   * id), handed out once more.
   */
  private startsOver(update: TgUpdate): boolean {
    const { tables } = this.deps;
    return update.update_id < tables.nextOffset() && !tables.holds(update);
  }

  /** Record the new sequence; returns its first id. */
  private startSequence(update: TgUpdate): number {
    const offset = this.deps.tables.nextOffset();
    const sequence = this.deps.tables.startSequence(update.update_id);
    this.deps.event({ kind: 'sequence-restarted', offset, updateId: update.update_id, sequence });
    faultPoint('new-sequence');
    return update.update_id;
  }

  /** One getUpdates and its commits; returns how long to wait before the next (0: at once). */
  private async once(limit: number, failures: number): Promise<number> {
    const { api, tables, pollTimeoutS } = this.deps;
    const offset = tables.nextOffset();
    const outcome = await api.call<TgUpdate[]>('getUpdates', { offset, timeout: pollTimeoutS, limit, allowed_updates: ['message'] },
      { signal: this.aborter.signal, timeoutMs: pollTimeoutS * 1000 + POLL_GRACE_MS });
    if (this.stopped) return 0;
    if (outcome.kind === 'ok') {
      // In Telegram's order (oldest first): the last one taken sets the next offset, even when it is lower.
      const updates = outcome.result ?? [];
      this.deps.event({ kind: 'polled', updates: updates.length });
      if (updates.length > 0) faultPoint('after-fetch');
      let committed = 0;
      let confirmed = offset;
      for (const update of updates) {
        if (this.stopped) break;
        // The offset asked with confirmed nothing of a new sequence: nothing below its first id exists.
        if (this.startsOver(update)) confirmed = this.startSequence(update);
        const result = this.deps.commit(update);
        if (result === 'refused') break; // draining: Telegram keeps it for the next worker
        if (result === 'committed') committed += 1;
      }
      if (committed > 0) faultPoint('after-commit');
      this.deps.event({ kind: 'confirmed', offset: confirmed });
      return 0;
    }
    if (outcome.kind === 'refused') {
      if (outcome.status === 401) {
        this.deps.event({ kind: 'unauthorized', detail: outcome.description });
        return SLOW_RETRY_MS;
      }
      if (outcome.status === 409) {
        this.deps.event({ kind: 'conflict', detail: outcome.description });
        return SLOW_RETRY_MS;
      }
      this.deps.event({ kind: 'error', detail: outcome.description });
      if (outcome.status === 429) return (outcome.retryAfterS ?? 1) * 1000;
      return retryDelayMs(failures + 1);
    }
    this.deps.event({ kind: 'error', detail: outcome.detail });
    return retryDelayMs(failures + 1);
  }
}
