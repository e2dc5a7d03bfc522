// Hands accepted messages to the agent, one at a time per session (and at most agent.concurrency at
// once), and drains on stop: work still running at the deadline is marked resume_pending and picked
// up by the next boot, exactly once. A message that is exactly `/new` starts a fresh context instead.
// A store that cannot take a write (full disk, read-only, locked) is waited out, never a crash.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../runtime/json-log.js';
import { backoffDelayMs, type Pacing } from '../runtime/backoff.js';
import type { Agent } from './agents/index.js';
import { Slots } from './slots.js';
import { classifyStoreError, type StoreFailure } from './store-errors.js';
import type { AddOnceResult, SessionStore, StoredMessage } from './store.js';

/** The reply to `/new`. */
export const NEW_CONTEXT_REPLY = 'Started a new conversation. Earlier messages stay stored but are no longer sent to the agent.';

/** The chat command that starts a fresh context. */
export const NEW_CONTEXT_COMMAND = '/new';

/** `/new`, also in Telegram's addressed form `/new@SomeBot`, with surrounding whitespace. */
export function isNewContextCommand(text: string): boolean {
  return /^\/new(@[A-Za-z0-9_]+)?$/.test(text.trim());
}

/**
 * What a channel (say, the chat edge's typing indicator) may follow. `working`: the agent began on
 * a message, or showed progress (a token); sent often, throttle it. `settled`: the message is closed
 * in the store, with its reply or, failed, the error meant for the user. Nothing is sent for a
 * message interrupted by the drain deadline: it stays resume_pending and is settled by a later life.
 */
export type DispatchEvent =
  | { readonly type: 'working'; readonly sessionId: string; readonly messageId: string }
  | { readonly type: 'settled'; readonly sessionId: string; readonly messageId: string; readonly status: 'done'; readonly reply: string }
  | { readonly type: 'settled'; readonly sessionId: string; readonly messageId: string; readonly status: 'failed'; readonly error: string };

export type DispatchListener = (event: DispatchEvent) => void;

/**
 * A message whose processing started this many times and was cut each time (a drain deadline, a
 * killed worker) is failed instead of crash-looping the gateway. Only attempts that started count:
 * a message that merely waited in its session's queue through a restart has used none.
 */
export const MAX_RESUME_ATTEMPTS = 3;

/**
 * A store that cannot take a write (a full disk, a read-only or locked database) is waited out at
 * this pacing: an answer is kept in memory and its commit tried again, so the agent is not asked
 * twice, and the message is never failed for a condition that clears. Before, the failure mark
 * after a refused reply was refused too and escaped, killing the worker.
 */
export const STORE_RETRY: Pacing = { baseMs: 500, maxMs: 30_000 };

type Outcome = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly error: string };

export interface DrainResult {
  readonly completed: number;
  readonly resumePending: number;
  readonly timedOut: boolean;
}

export class Dispatcher {
  private accepting = true;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly open = new Set<string>();
  private readonly aborter = new AbortController();
  private settled: (() => void) | null = null;
  private readonly slots: Slots;
  private readonly listeners = new Set<DispatchListener>();

  constructor(private readonly store: SessionStore, private readonly agent: Agent, private readonly log: Logger) {
    this.slots = new Slots(agent.concurrency ?? Number.POSITIVE_INFINITY);
  }

  /** Follow what happens to messages; returns the unsubscribe function. */
  subscribe(listener: DispatchListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  get inFlight(): number {
    return this.open.size;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  /**
   * Commit a new message and queue it; null while draining (the caller answers 503). `record`
   * runs in the same transaction as the insert (a channel records where the message came from).
   */
  accept(sessionId: string, text: string, record?: (message: StoredMessage) => void): StoredMessage | null {
    if (!this.accepting) return null;
    const message = record === undefined
      ? this.store.addUserMessage(sessionId, text)
      : this.store.inTransaction(() => {
        const added = this.store.addUserMessage(sessionId, text);
        record(added);
        return added;
      });
    this.enqueue(message);
    return message;
  }

  /**
   * Commit a new message under an idempotency key and queue it, or return the message the key
   * already names without queueing it again (this worker, an older one, or a resume answers it).
   */
  acceptOnce(sessionId: string, text: string, key: string): AddOnceResult | null {
    if (!this.accepting) return null;
    const result = this.store.addUserMessageOnce(sessionId, text, key);
    if (result.kind === 'added') this.enqueue(result.message);
    return result;
  }

  /** At boot: queue every message a previous life accepted but did not answer. */
  resumeOpen(): { resumed: number; failed: number } {
    // Messages this worker already holds (accepted while an older worker drained) are not resumed.
    const open = this.store.openMessages().filter((m) => !this.open.has(m.id));
    this.store.markResumePending(open.map((m) => m.id));
    let resumed = 0;
    let failed = 0;
    for (const message of open) {
      if (message.resumeAttempts >= MAX_RESUME_ATTEMPTS) {
        this.store.fail(message.id, `gave up after ${MAX_RESUME_ATTEMPTS} interrupted attempts`);
        failed += 1;
        continue;
      }
      this.enqueue(message);
      resumed += 1;
    }
    return { resumed, failed };
  }

  /**
   * resumeOpen, waited out at STORE_RETRY while the store cannot take the resume marks (a full
   * disk, say, when the worker that held an answer was killed): before, one refused try left the
   * earlier life's messages unanswered until the next boot. The first try runs before this returns
   * its promise. Null when a stop came first: the messages stay open for the next boot.
   */
  async resumeOpenOnceWritable(onRefused: (failure: StoreFailure) => void): Promise<{ resumed: number; failed: number } | null> {
    for (let failures = 1; ; failures++) {
      try {
        return this.resumeOpen();
      } catch (error) {
        const failure = classifyStoreError(error);
        if (failure === null) throw error;
        onRefused(failure);
        if (!(await this.waitOut(failures, this.aborter.signal)) || !this.accepting) return null;
      }
    }
  }

  /**
   * Let running work finish until timeoutMs, then mark the rest resume_pending. A stop refuses new
   * messages meanwhile; a restart keeps accepting the few that still arrive on held connections.
   */
  async drain(timeoutMs: number, keepAccepting = false): Promise<DrainResult> {
    this.accepting = keepAccepting;
    const atStart = new Set(this.open);
    const idle = new Promise<void>((resolve) => {
      this.settled = resolve;
      if (this.open.size === 0) resolve();
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    const outcome = await Promise.race([idle.then(() => 'idle' as const), deadline]);
    clearTimeout(timer);
    const left = [...this.open];
    this.accepting = false;
    if (outcome === 'timeout') {
      this.aborter.abort(new Error('drain deadline reached'));
      this.markLeftToNextBoot(left);
    }
    return { completed: [...atStart].filter((id) => !this.open.has(id)).length, resumePending: left.length, timedOut: outcome === 'timeout' };
  }

  /**
   * Mark what the drain deadline cut resume_pending. A store that refuses the mark (a full disk
   * holding an answer) leaves them open as they are, which the next boot resumes just the same;
   * before, the refusal escaped and the worker died mid-stop, its drain unreported.
   */
  private markLeftToNextBoot(ids: readonly string[]): void {
    try {
      this.store.markResumePending(ids);
    } catch (error) {
      const storage = classifyStoreError(error);
      if (storage === null) throw error;
      this.log.error({ code: storage.code, messages: ids.length }, `could not mark the unfinished messages resume_pending; they stay open and the next boot resumes them: ${storage.message}`);
    }
  }

  private enqueue(message: StoredMessage): void {
    this.open.add(message.id);
    const previous = this.chains.get(message.sessionId) ?? Promise.resolve();
    const next = previous.then(() => this.process(message));
    this.chains.set(message.sessionId, next);
    void next.then(() => {
      if (this.chains.get(message.sessionId) === next) this.chains.delete(message.sessionId);
    });
  }

  private async process(message: StoredMessage, storeFailures = 0): Promise<void> {
    const signal = this.aborter.signal;
    try {
      if (signal.aborted) return; // drain deadline passed while it waited: stays resume_pending
      if (isNewContextCommand(message.text)) {
        this.store.startContext(message.id, NEW_CONTEXT_REPLY);
        this.settle(message, { ok: true, text: NEW_CONTEXT_REPLY });
        return;
      }
      const release = await this.slots.acquire(signal);
      try {
        if (!this.store.startAttempt(message.id)) { this.forget(message.id); return; } // closed meanwhile
        const reply = await this.ask(message, signal);
        if (signal.aborted) return;
        const outcome: Outcome = reply.ok ? { ok: true, text: reply.text } : { ok: false, error: reply.error ?? 'the agent failed without saying why' };
        if (await this.closeInStore(message, outcome, signal)) this.settle(message, outcome);
      } finally {
        release();
      }
    } catch (error) {
      if (signal.aborted) return; // interrupted by the drain deadline: resumed at the next boot
      const storage = classifyStoreError(error);
      if (storage !== null) {
        // The store refused to start or close it (nothing was committed): the message stays open; try again.
        if (storeFailures === 0) this.log.error({ messageId: message.id, code: storage.code }, `message not started, retrying until the store takes it: ${storage.message}`);
        if (await this.waitOut(storeFailures + 1, signal)) await this.process(message, storeFailures + 1);
        return;
      }
      this.log.error({ err: error, messageId: message.id }, 'message processing failed');
      const outcome: Outcome = { ok: false, error: error instanceof Error ? error.message : String(error) };
      if (await this.closeInStore(message, outcome, signal)) this.settle(message, outcome);
    }
  }

  /**
   * Store the reply (or the failure) and close the message. A storage condition is waited out,
   * the outcome kept, until the store takes it; false when a drain deadline cut the wait (the
   * message stays open and the next boot resumes it).
   */
  private async closeInStore(message: StoredMessage, outcome: Outcome, signal: AbortSignal): Promise<boolean> {
    for (let failures = 1; ; failures++) {
      try {
        if (outcome.ok) this.store.complete(message.id, outcome.text);
        else this.store.fail(message.id, outcome.error);
        return true;
      } catch (error) {
        const storage = classifyStoreError(error);
        if (storage === null) throw error;
        if (failures === 1) this.log.error({ messageId: message.id, code: storage.code }, `the answer could not be stored, retrying until the store takes it: ${storage.message}`);
        if (!(await this.waitOut(failures, signal))) return false;
      }
    }
  }

  /** Wait before try failures + 1 at STORE_RETRY; false when a drain deadline ends the wait. */
  private async waitOut(failures: number, signal: AbortSignal): Promise<boolean> {
    return sleep(backoffDelayMs(failures, STORE_RETRY), true, { signal }).catch(() => false);
  }

  private ask(message: StoredMessage, signal: AbortSignal): ReturnType<Agent['reply']> {
    const working = (): void => this.emit({ type: 'working', sessionId: message.sessionId, messageId: message.id });
    working();
    return this.agent.reply({
      sessionId: message.sessionId, messageId: message.id, text: message.text, signal,
      history: this.store.history(message.id, this.agent.maxHistoryTurns ?? 0),
      onActivity: working,
    });
  }

  /** The message is closed in the store: tell the listeners, and forget it. */
  private settle(message: StoredMessage, outcome: { ok: true; text: string } | { ok: false; error: string }): void {
    const { sessionId, id: messageId } = message;
    this.emit(outcome.ok
      ? { type: 'settled', sessionId, messageId, status: 'done', reply: outcome.text }
      : { type: 'settled', sessionId, messageId, status: 'failed', error: outcome.error });
    this.forget(message.id);
  }

  private emit(event: DispatchEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A listener is a channel's business; its bug must not fail the message.
        this.log.error({ err: error, event: event.type }, 'dispatch listener failed');
      }
    }
  }

  private forget(id: string): void {
    this.open.delete(id);
    if (this.open.size === 0) this.settled?.();
  }
}
