// The monitor's watch on a worker that lives but stops answering (an endless loop, a SIGSTOP, a
// blocked event loop): it pings the serving worker over IPC and says when it has not answered
// for the configured time, and when it answers again. Respawns stay the supervisor's business.

/** Pings are this many times more frequent than the wedge threshold, bounded to [1 s, 10 s]. */
const PINGS_PER_THRESHOLD = 3;
const MIN_PING_INTERVAL_MS = 1_000;
const MAX_PING_INTERVAL_MS = 10_000;

export interface WorkerWatchDeps {
  /** Ping the serving worker; pid null when none serves (then nothing is judged). */
  readonly ping: (timeoutMs: number) => Promise<{ pid: number | null; responsive: boolean }>;
  readonly onWedged: (pid: number, silentMs: number) => void;
  readonly onAnswering: (pid: number) => void;
  readonly now?: () => number;
}

export class WorkerWatch {
  private timer: NodeJS.Timeout | null = null;
  private lastAnswer = new Map<number, number>();
  private wedged = false;
  private readonly intervalMs: number;

  constructor(private readonly wedgedAfterMs: number, private readonly deps: WorkerWatchDeps) {
    this.intervalMs = Math.min(MAX_PING_INTERVAL_MS, Math.max(MIN_PING_INTERVAL_MS, Math.floor(wedgedAfterMs / PINGS_PER_THRESHOLD)));
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs).unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round: exported for tests that drive the clock. */
  async tick(): Promise<void> {
    const now = this.deps.now ?? Date.now;
    const probe = await this.deps.ping(this.intervalMs);
    if (probe.pid === null) return;
    // A new worker starts with a clean slate: it is judged from its first ping.
    if (!this.lastAnswer.has(probe.pid)) this.lastAnswer = new Map([[probe.pid, now()]]);
    if (probe.responsive) {
      this.lastAnswer.set(probe.pid, now());
      if (this.wedged) this.deps.onAnswering(probe.pid);
      this.wedged = false;
      return;
    }
    const silentMs = now() - (this.lastAnswer.get(probe.pid) ?? now());
    if (silentMs >= this.wedgedAfterMs && !this.wedged) {
      this.wedged = true;
      this.deps.onWedged(probe.pid, silentMs);
    }
  }
}
