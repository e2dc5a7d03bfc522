// Whether a chat channel still hears its platform: an incident `channel_poll_stale:<name>` when no
// poll has completed for alerts.pollStaleAfterMs (the platform answers 5xx, the network is gone, a
// long poll hangs), resolved by the next one that completes. An idle chat is not silent: a long poll
// that comes back with no update is a completed poll. A poller paused on purpose (the channel holds
// its maximum of unanswered messages) is not judged. Refusals (401, 409) are the channel's own
// `channel_refused` incident, so a refused channel is not judged here either.
import type { AlertSink } from './telegram/channel.js';

/** How often the watch looks (at most; a short threshold is looked at four times per period). */
const CHECK_EVERY_MS = 1_000;

export interface PollWatchDeps {
  readonly channel: string;
  readonly staleAfterMs: number;
  readonly alerts: AlertSink | undefined;
  /** False while another incident speaks for the channel (refused, conflict) or it is stopping. */
  readonly judged: () => boolean;
  readonly now?: () => number;
}

export function pollStaleIncident(channel: string): string {
  return `channel_poll_stale:${channel}`;
}

export class PollWatch {
  private lastOkAt = 0;
  private paused = false;
  private firing = false;
  /** The first completed poll of this worker resolves an incident an earlier worker left open. */
  private resolvedOnce = false;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: PollWatchDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  start(): void {
    this.lastOkAt = this.now();
    this.timer ??= setInterval(() => this.check(), Math.max(50, Math.min(CHECK_EVERY_MS, Math.floor(this.deps.staleAfterMs / 4)))).unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** A poll completed (with or without updates). */
  polled(): void {
    this.lastOkAt = this.now();
    this.lastError = null;
    if (this.firing || !this.resolvedOnce) {
      this.deps.alerts?.resolve(pollStaleIncident(this.deps.channel), `channel ${this.deps.channel} polls again`);
      this.firing = false;
      this.resolvedOnce = true;
    }
  }

  /** A poll failed; the detail (already redacted) goes into the alert if the silence lasts. */
  failed(detail: string): void {
    this.lastError = detail;
  }

  /** The poller holds back on purpose (full), or takes up polling again: the clock starts afresh. */
  pause(paused: boolean): void {
    this.paused = paused;
    this.lastOkAt = this.now();
  }

  /** One look: exported for tests that drive the clock. */
  check(): void {
    if (this.paused || this.firing || !this.deps.judged()) return;
    const silentMs = this.now() - this.lastOkAt;
    if (silentMs < this.deps.staleAfterMs) return;
    this.firing = true;
    const why = this.lastError === null ? 'a poll is still waiting for an answer' : `last error: ${this.lastError}`;
    this.deps.alerts?.fire(pollStaleIncident(this.deps.channel), {
      severity: 'critical', title: `channel ${this.deps.channel} does not hear its chats`,
      message: `no poll completed for ${Math.round(silentMs / 1000)} s (since ${new Date(this.lastOkAt).toISOString()}; ${why})`,
    });
  }
}
