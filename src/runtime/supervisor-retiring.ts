// Workers on their way out: those a restart replaced (they finish what they hold, then exit) and
// standbys ended without ever serving. Until each has exited, no worker resumes old work beside it.
import type { DrainMode } from './ipc.js';
import type { WorkerHandle } from './worker-handle.js';

export type DrainOne = (worker: WorkerHandle, timeoutMs: number, mode: DrainMode) => Promise<{ killed: boolean }>;

export class Retiring {
  private readonly workers = new Set<WorkerHandle>();
  /** Standbys ended without serving: their exit is not the gateway's news. */
  private readonly standbys = new WeakSet<WorkerHandle>();

  constructor(private readonly drainOne: DrainOne) {}

  get empty(): boolean {
    return this.workers.size === 0;
  }

  /** Replaced by a restart: it keeps answering what it holds for up to timeoutMs. */
  retire(worker: WorkerHandle, timeoutMs: number): void {
    this.workers.add(worker);
    void this.drainOne(worker, timeoutMs, 'restart');
  }

  /** A standby that will not serve: drained when ready (it holds no work), killed while it still boots. */
  endStandby(standby: WorkerHandle): void {
    this.standbys.add(standby);
    this.workers.add(standby);
    if (standby.ready) void this.drainOne(standby, 0, 'stop');
    else standby.process.kill();
  }

  /** A stop: every one of them drains for timeoutMs (again: a second drain changes nothing). */
  drainAll(timeoutMs: number): Array<Promise<{ killed: boolean }>> {
    return [...this.workers].map((w) => this.drainOne(w, timeoutMs, 'restart'));
  }

  /** A standby ended by a stop: not retiring (the stop waits for it), but its exit is a standby's. */
  markStandby(standby: WorkerHandle): void {
    this.standbys.add(standby);
  }

  isStandby(worker: WorkerHandle): boolean {
    return this.standbys.has(worker);
  }

  /** It exited; true when it was one of these. */
  remove(worker: WorkerHandle): boolean {
    return this.workers.delete(worker);
  }
}
