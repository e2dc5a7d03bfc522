// The monitor's side of the worker: spawn it, hand it connections, ping it, drain it, replace it
// without refusing a connection, and respawn it when it dies (at once for exit 75, with backoff and
// a crash-loop breaker otherwise; never after exit 78, fatal configuration). A worker ends for good
// only when the monitor asked it to (a stop drains it, a restart retires it): any other end, a clean
// exit 0 after a stray SIGTERM included, is a crash.
import type { StoreFailure } from '../gateway/store-errors.js';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { EXIT } from '../exit-codes.js';
import { RestartBackoff } from './backoff.js';
import type { DrainMode, WorkerToMonitor } from './ipc.js';
import type { WorkerExit } from './state-file.js';
import { systemSupervisorClock, WorkerStartError, type DrainOutcome, type ReplaceOutcome, type SupervisorClock, type SupervisorOptions } from './supervisor-types.js';
import { openWorker, spawnChildWorker, type WorkerHandle, type WorkerSpawner } from './worker-handle.js';
import { ownUsage } from './metrics-text.js';
import type { MonitorStats } from './monitor-metrics.js';
import { answerWithoutWorker, type MonitorAnswerContext } from './no-worker-answer.js';

/** Connections accepted while no worker is ready wait here; past this many, new ones are closed. */
export const MAX_PENDING_CONNECTIONS = 1024;
/** After its drain deadline, a worker gets this long to exit before it is killed. */
export const DRAIN_EXIT_GRACE_MS = 5_000;
export const PING_TIMEOUT_MS = 1_000;

export { WorkerStartError, type DrainOutcome, type ReplaceOutcome, type SupervisorClock, type SupervisorOptions } from './supervisor-types.js';

export class WorkerSupervisor {
  /** The worker that receives new connections. */
  private current: WorkerHandle | null = null;
  /** Workers replaced by a restart, finishing what they hold. */
  private readonly retiring = new Set<WorkerHandle>();
  private readonly pending: Socket[] = [];
  private stopping = false;
  /** What the serving worker last said about its store (read-only, full, locked), for status. */
  storeFailure: StoreFailure | null = null;
  private replacing: Promise<ReplaceOutcome> | null = null;
  /** Cancels the pending respawn. */
  private respawnTimer: (() => void) | null = null;
  /** A respawn booting a worker; a restart waits for it instead of starting a second one beside it. */
  private respawning: Promise<void> | null = null;
  private nextPing = 1;
  private nextConnection = 1;
  private readonly pings = new Map<number, () => void>();
  private readonly backoff: RestartBackoff;
  restarts = 0;
  /** Worker exits nobody asked for, and how often the breaker opened: for /metrics. */
  crashes = 0;
  breakerOpens = 0;
  lastExit: WorkerExit | null = null;
  lastCrash: WorkerExit | null = null;
  breakerUntil: number | null = null;

  private readonly clock: SupervisorClock;
  private readonly spawner: WorkerSpawner;

  constructor(private readonly options: SupervisorOptions) {
    this.clock = options.clock ?? systemSupervisorClock;
    this.spawner = options.spawner ?? spawnChildWorker;
    this.backoff = options.backoff ?? new RestartBackoff(this.clock);
  }

  get worker(): { pid: number; startTime: number } | null {
    return this.current === null ? null : { pid: this.current.pid, startTime: this.current.startTime };
  }

  /** Start the first worker; resolves once it serves, rejects if it dies before it is ready. */
  async start(): Promise<void> {
    const handle = this.spawn();
    const exit = await handle.readyOrExit;
    if (exit !== null) throw new WorkerStartError(exit);
    this.promote(handle);
  }

  /**
   * Replace the worker with no refused connection: start a new one, switch new connections to it
   * once it is ready, and let the old one finish what it holds. A new worker that cannot start
   * (a broken config, say) leaves the old one serving.
   */
  replace(reason: string): Promise<ReplaceOutcome> {
    this.replacing ??= this.doReplace(reason).finally(() => { this.replacing = null; });
    return this.replacing;
  }

  private async doReplace(reason: string): Promise<ReplaceOutcome> {
    // A respawn already booting a worker finishes first; then that worker is the one replaced.
    if (this.respawning !== null) await this.respawning;
    if (this.stopping) return { ok: false, reason: 'the gateway is stopping' };
    const candidate = this.spawn();
    const exit = await candidate.readyOrExit;
    if (exit !== null) {
      // A respawn still pending (the old worker had died) goes ahead: it was not cancelled.
      this.options.log.error({ exit: exit.reason }, 'restart refused: the new worker did not start; the old one keeps serving');
      return { ok: false, reason: `the new worker did not start (${exit.reason})` };
    }
    // The candidate is the respawn a crash may have scheduled meanwhile: never a second worker.
    this.cancelRespawn();
    // Whoever serves now, not who served when the restart began: that one may have died meanwhile.
    const old = this.current;
    if (old !== null) this.retire(old, this.options.restartDrainMs);
    this.promote(candidate);
    this.restarts += 1;
    this.options.lifecycle.append('worker_replaced', { reason, oldWorkerPid: old?.pid ?? null, newWorkerPid: candidate.pid });
    this.options.onChange();
    return { ok: true, oldPid: old?.pid ?? null, newPid: candidate.pid };
  }

  /** Hand an accepted (paused) connection to the serving worker, or hold it until one serves. */
  forward(socket: Socket): void {
    const worker = this.current;
    if (worker === null || !worker.process.connected) {
      this.hold(socket);
      return;
    }
    // The monitor keeps its copy until the worker acknowledges (connection_ack). Node sends handles
    // one at a time and silently drops the ones still queued when the child dies; a copy we still
    // hold is handed to the next worker instead of hanging its client forever.
    const id = this.nextConnection++;
    worker.unacked.set(id, socket);
    worker.process.sendConnection(id, socket, (error) => {
      if (error === null || !worker.unacked.delete(id)) return;
      // Never forward again from here: that worker may still be `current` until its exit is processed.
      if (!worker.process.connected) this.hold(socket);
      else socket.destroy();
    });
  }

  /** Keep a connection until a worker serves; promote() hands them over. */
  private hold(socket: Socket): void {
    if (this.stopping || this.pending.length >= MAX_PENDING_CONNECTIONS) socket.destroy();
    else if (this.breakerUntil !== null) answerWithoutWorker(socket, this.breakerUntil, this.answerContext());
    else this.pending.push(socket);
  }

  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<{ pid: number | null; responsive: boolean; latencyMs: number | null }> {
    const worker = this.current;
    if (worker === null) return { pid: null, responsive: false, latencyMs: null };
    const id = this.nextPing++;
    const started = performance.now();
    const answered = await new Promise<boolean>((resolve) => {
      const cancel = this.clock.after(timeoutMs, () => { this.pings.delete(id); resolve(false); });
      this.pings.set(id, () => { cancel(); resolve(true); });
      worker.send({ type: 'ping', id });
    });
    return { pid: worker.pid, responsive: answered, latencyMs: answered ? Math.round((performance.now() - started) * 10) / 10 : null };
  }

  /** The monitor's figures for /metrics (the worker adds its own). */
  stats(): MonitorStats {
    return {
      startedAtMs: this.options.startedAtMs ?? this.clock.now(), restarts: this.restarts, crashes: this.crashes,
      breakerOpen: this.breakerUntil !== null, breakerOpens: this.breakerOpens,
      workerUp: this.current !== null && this.current.process.connected, usage: ownUsage('monitor'),
    };
  }

  private answerContext(): MonitorAnswerContext | null {
    const token = this.options.token;
    return token === undefined ? null : { token, stats: () => this.stats() };
  }

  /** Stop for good: every worker drains for timeoutMs and is killed if it has not exited by then. */
  async drain(timeoutMs: number): Promise<DrainOutcome> {
    this.stopping = true;
    this.cancelRespawn();
    const worker = this.current;
    const others = [...this.retiring].map((w) => this.drainOne(w, timeoutMs, 'restart'));
    const outcome = worker === null ? { killed: false } : await this.drainOne(worker, timeoutMs, 'stop');
    await Promise.all(others);
    for (const socket of this.pending.splice(0)) socket.destroy();
    return {
      inFlight: worker?.inFlightAtDrain ?? null, completed: worker?.drained?.completed ?? null,
      resumePending: worker?.drained?.resumePending ?? null, killed: outcome.killed,
    };
  }

  private async drainOne(worker: WorkerHandle, timeoutMs: number, mode: DrainMode): Promise<{ killed: boolean }> {
    worker.send({ type: 'drain', timeoutMs, mode });
    let cancel = (): void => {};
    const late = new Promise<'late'>((resolve) => { cancel = this.clock.after(timeoutMs + DRAIN_EXIT_GRACE_MS, () => resolve('late'), true); });
    const first = await Promise.race([worker.exited, late]);
    cancel();
    if (first !== 'late') return { killed: false };
    this.options.log.warn({ workerPid: worker.pid }, 'worker did not exit after its drain deadline; killing it');
    worker.process.kill();
    await worker.exited;
    return { killed: true };
  }

  private retire(worker: WorkerHandle, timeoutMs: number): void {
    this.retiring.add(worker);
    void this.drainOne(worker, timeoutMs, 'restart');
  }

  /** Make a ready worker the one that serves; it resumes old work once no other worker is alive. */
  private promote(worker: WorkerHandle): void {
    this.current = worker;
    worker.servingSince = this.clock.now();
    this.storeFailure = null; // a new worker has not failed yet; it says so when it does
    for (const socket of this.pending.splice(0)) this.forward(socket);
    if (this.retiring.size === 0) worker.send({ type: 'resume' });
    this.options.onChange();
  }

  private spawn(): WorkerHandle {
    const handle = openWorker(this.spawner, this.options, this.clock, (h, message) => this.onMessage(h, message), (h, exit) => this.onExit(h, exit));
    this.options.lifecycle.append('worker_start', { workerPid: handle.pid });
    return handle;
  }

  private onMessage(handle: WorkerHandle, message: WorkerToMonitor): void {
    switch (message.type) {
      case 'ready':
        this.options.lifecycle.append('worker_ready', { workerPid: handle.pid });
        break;
      case 'resumed':
        if (message.resumed + message.failed > 0) this.options.lifecycle.append('resume', { workerPid: handle.pid, ...message });
        break;
      case 'pong':
        this.pings.get(message.id)?.();
        this.pings.delete(message.id);
        break;
      case 'restart_request':
        this.options.onRestartRequest(message.full);
        break;
      case 'stats_request':
        handle.send({ type: 'stats', id: message.id, stats: this.stats() });
        break;
      case 'store_health':
        if (handle === this.current) this.storeFailure = message.failure;
        break;
      default:
        break; // drain progress is kept on the handle
    }
  }

  private onExit(handle: WorkerHandle, exit: WorkerExit): void {
    this.lastExit = exit;
    const retired = this.retiring.delete(handle);
    this.options.lifecycle.append('worker_exit', { workerPid: handle.pid, code: exit.code, signal: exit.signal, reason: exit.reason, planned: this.stopping || retired });
    if (retired && this.retiring.size === 0 && !this.stopping) this.current?.send({ type: 'resume' });
    if (this.current === handle) this.current = null;
    // Connections it never took: the serving worker takes them, or the next one does.
    const untaken = [...handle.unacked.values()];
    handle.unacked.clear();
    for (const socket of untaken) this.forward(socket);
    this.options.onChange();
    // A drain, a retired worker, or one that died before it served (start() or replace() reports that).
    if (this.stopping || retired || !handle.ready) return;
    if (exit.code === EXIT.CONFIG) {
      this.options.onFinal(exit.code, 'the worker reported a fatal configuration error');
      return;
    }
    // Not asked for by the monitor: a crash, whatever the code. A plain `kill <worker>` makes the
    // worker drain and exit 0; taking that as a stop would leave the whole gateway down.
    this.scheduleRespawn(handle, exit.code === EXIT.OK ? { ...exit, reason: `${exit.reason}, not asked for by the monitor` } : exit);
  }

  private scheduleRespawn(handle: WorkerHandle, exit: WorkerExit): void {
    const planned = exit.code === EXIT.RESTART;
    this.lastExit = exit;
    if (!planned) {
      this.lastCrash = exit;
      this.crashes += 1;
    }
    const decision = planned ? { delayMs: 0, breakerOpen: false, recentCrashes: 0 } : this.backoff.onCrash(handle.servingSince ?? handle.startedAt);
    this.breakerUntil = decision.breakerOpen ? this.clock.now() + decision.delayMs : null;
    // Minutes without a worker: waiting clients get the truth now instead of a timeout later.
    if (this.breakerUntil !== null) for (const socket of this.pending.splice(0)) answerWithoutWorker(socket, this.breakerUntil, this.answerContext());
    if (decision.breakerOpen) {
      this.breakerOpens += 1;
      this.options.lifecycle.append('breaker_open', { crashes: decision.recentCrashes, pauseMs: decision.delayMs });
      this.options.onChange(); // the breaker is news: status, metrics and alerts follow it
    }
    this.options.log.warn({ workerPid: handle.pid, exit: exit.reason, delayMs: decision.delayMs, breakerOpen: decision.breakerOpen }, 'worker died; respawning');
    this.respawnTimer = this.clock.after(decision.delayMs, () => {
      this.respawnTimer = null;
      this.respawning = this.respawn().finally(() => { this.respawning = null; });
    });
  }

  private cancelRespawn(): void {
    this.respawnTimer?.();
    this.respawnTimer = null;
    this.breakerUntil = null;
  }

  private async respawn(): Promise<void> {
    // A restart is already starting a worker: that one is the respawn, unless it fails to start.
    if (this.replacing !== null && (await this.replacing).ok) return;
    if (this.stopping || this.current !== null) return;
    this.breakerUntil = null;
    this.restarts += 1;
    const handle = this.spawn();
    this.options.onChange();
    const exit = await handle.readyOrExit;
    // Ready after a stop began: drain() did not see it (it was not serving), so drain it here.
    if (exit === null && this.stopping) void this.drainOne(handle, 0, 'stop');
    else if (exit === null) this.promote(handle);
    else if (exit.code === EXIT.CONFIG) this.options.onFinal(EXIT.CONFIG, 'the worker reported a fatal configuration error');
    else if (!this.stopping) this.scheduleRespawn(handle, exit);
  }
}

