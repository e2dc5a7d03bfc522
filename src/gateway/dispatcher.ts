// Hands accepted messages to the agent, one at a time per session, and drains on stop: work still
// running at the deadline is marked resume_pending and picked up by the next boot, exactly once.
import type { Logger } from 'pino';
import type { Agent } from './agents.js';
import type { SessionStore, StoredMessage } from './store.js';

/** A message resumed this many times without finishing is failed instead of crash-looping the gateway. */
export const MAX_RESUME_ATTEMPTS = 3;

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

  constructor(private readonly store: SessionStore, private readonly agent: Agent, private readonly log: Logger) {}

  get inFlight(): number {
    return this.open.size;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  /** Commit a new message and queue it; null while draining (the caller answers 503). */
  accept(sessionId: string, text: string): StoredMessage | null {
    if (!this.accepting) return null;
    const message = this.store.addUserMessage(sessionId, text);
    this.enqueue(message);
    return message;
  }

  /** At boot: queue every message a previous life accepted but did not answer. */
  resumeOpen(): { resumed: number; failed: number } {
    // Messages this worker already holds (accepted while an older worker drained) are not resumed.
    const open = this.store.openMessages().filter((m) => !this.open.has(m.id));
    this.store.markResumePending(open.map((m) => m.id));
    let resumed = 0;
    let failed = 0;
    for (const message of open) {
      const attempts = this.store.countResume(message.id);
      if (attempts > MAX_RESUME_ATTEMPTS) {
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
      this.store.markResumePending(left);
    }
    return { completed: [...atStart].filter((id) => !this.open.has(id)).length, resumePending: left.length, timedOut: outcome === 'timeout' };
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

  private async process(message: StoredMessage): Promise<void> {
    const signal = this.aborter.signal;
    try {
      if (signal.aborted) return; // drain deadline passed while it waited: stays resume_pending
      this.store.setStatus(message.id, 'processing');
      const reply = await this.agent.reply(message.text, signal);
      if (signal.aborted) return;
      if (reply.ok) this.store.complete(message.id, reply.text);
      else this.store.fail(message.id, reply.error ?? 'agent failed');
      this.forget(message.id);
    } catch (error) {
      if (signal.aborted) return; // interrupted by the drain deadline: resumed at the next boot
      this.log.error({ err: error, messageId: message.id }, 'message processing failed');
      this.store.fail(message.id, error instanceof Error ? error.message : String(error));
      this.forget(message.id);
    }
  }

  private forget(id: string): void {
    this.open.delete(id);
    if (this.open.size === 0) this.settled?.();
  }
}
