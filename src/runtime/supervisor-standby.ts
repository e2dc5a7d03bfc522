// The warm standby: a second worker, booted and ready (config read, store open, agent ready), that
// gets no connection and no `resume` until the serving worker dies and it is promoted. A crash is
// then answered by a worker that is already up instead of by a Node start. Until `resume`, a worker
// moves no message: it does not queue the store's open messages and does not poll or send to
// Telegram (worker.ts), so a standby beside the serving worker never answers anything twice.
import { EXIT } from '../exit-codes.js';
import type { Logger } from './json-log.js';
import type { LifecycleLog } from './lifecycle-log.js';
import { RestartBackoff } from './backoff.js';
import type { WorkerExit } from './state-file.js';
import type { SupervisorClock } from './supervisor-types.js';
import type { WorkerHandle } from './worker-handle.js';
import { changedInput } from './worker-inputs.js';

export interface StandbyDeps {
  /** Start a worker process (not serving). */
  readonly spawn: () => WorkerHandle;
  readonly clock: SupervisorClock;
  readonly log: Logger;
  readonly lifecycle: LifecycleLog;
  /** May a standby boot now: a worker serves, the gateway is not stopping, the breaker is closed. */
  readonly wanted: () => boolean;
  /** It booted, became ready or went: status shows it. */
  readonly onChange: () => void;
}

export class Standby {
  private handle: WorkerHandle | null = null;
  private cancelBoot: (() => void) | null = null;
  /** Its own pacing: a standby that keeps dying (out of memory, say) retries ever more slowly, but
   *  it is not the serving worker: its deaths never open the serving worker's breaker. */
  private readonly backoff: RestartBackoff;

  constructor(private readonly deps: StandbyDeps, readonly enabled: boolean) {
    this.backoff = new RestartBackoff(deps.clock);
  }

  /** The standby (booting or ready), if there is one. */
  get worker(): WorkerHandle | null {
    return this.handle;
  }

  /** Boot one after delayMs (after a crash, the backoff paces it), unless one is there or coming. */
  schedule(delayMs = 0): void {
    if (!this.enabled || this.handle !== null || this.cancelBoot !== null) return;
    this.cancelBoot = this.deps.clock.after(delayMs, () => {
      this.cancelBoot = null;
      this.boot();
    });
  }

  private boot(): void {
    if (this.handle !== null || !this.deps.wanted()) return;
    const handle = this.deps.spawn();
    this.handle = handle;
    this.deps.onChange();
    void handle.readyOrExit.then((exit) => {
      if (exit !== null || this.handle !== handle) return;
      this.deps.lifecycle.append('standby_ready', { workerPid: handle.pid });
      this.deps.onChange();
    });
  }

  /** It (the standby, or one just taken) read a file (config.json, the agent module) that has
   *  changed since: a fresh worker must read it instead. Known once it is ready. */
  isStale(standby: WorkerHandle | null = this.handle): boolean {
    const changed = standby?.ready === true ? changedInput(standby.inputs) : null;
    if (changed !== null) this.deps.log.warn({ workerPid: standby?.pid, changed }, 'the standby read a file that has changed since; a fresh worker takes over instead');
    return changed !== null;
  }

  /** Hand the standby over for promotion (it may still be booting); null when there is none. */
  take(): WorkerHandle | null {
    const handle = this.handle;
    this.handle = null;
    return handle;
  }

  /** No standby now, none coming (a restart brings new code or config, the breaker, a stop): the one there was, for the caller to end. */
  dismiss(): WorkerHandle | null {
    this.cancelBoot?.();
    this.cancelBoot = null;
    return this.take();
  }

  /** True when the exited worker was the standby: another one boots, paced by its own backoff; none
   *  after exit 78 (the configuration on disk cannot start a worker) until schedule() is called again
   *  by a restart or a promotion. */
  onExit(handle: WorkerHandle, exit: WorkerExit): boolean {
    if (handle !== this.handle) return false;
    this.handle = null;
    if (exit.code === EXIT.CONFIG) {
      this.deps.log.error({ workerPid: handle.pid }, 'the standby worker cannot start with the configuration on disk (exit 78); no standby until the next restart');
      return true;
    }
    const { delayMs } = this.backoff.onCrash(handle.startedAt);
    this.deps.log.warn({ workerPid: handle.pid, exit: exit.reason, delayMs }, 'the standby worker died; booting another');
    this.schedule(delayMs);
    return true;
  }
}
