// The monitor's side of the worker: spawn it, hand it connections, ping it, drain it, replace it
// without refusing a connection, and replace it when it dies: by the warm standby at once when
// there is one (supervisor-standby.ts), else by a new worker (at once for an isolated crash or exit
// 75, with backoff when crashes repeat, and a crash-loop breaker; never after exit 78, fatal
// configuration). A worker ends for good only when the monitor asked it to (a stop drains it, a
// restart retires it): any other end, a clean exit 0 after a stray SIGTERM included, is a crash.
// What a worker says over IPC is handled in supervisor-messages.ts.
import type { StoreFailure } from '../gateway/store-errors.js';
import type { Socket } from 'node:net';
import { EXIT } from '../exit-codes.js';
import { RestartBackoff } from './backoff.js';
import type { DrainMode } from './ipc.js';
import type { SentMessage } from './protocol.js';
import type { WorkerExit } from './state-file.js';
import { systemSupervisorClock, WorkerStartError, type DrainOutcome, type ReplaceOutcome, type SupervisorClock, type SupervisorOptions } from './supervisor-types.js';
import { drainWorker, openWorker, pingWorker, relayMessage, spawnChildWorker, type RelayOutcome, type WorkerHandle, type WorkerSpawner } from './worker-handle.js';
import { ownUsage } from './metrics-text.js';
import type { MonitorStats } from './monitor-metrics.js';
import type { MonitorAnswerContext } from './no-worker-answer.js';
import { ConnectionHandover } from './supervisor-connections.js';
import { Retiring } from './supervisor-retiring.js';
import { onWorkerMessage, type WorkerMessageTarget } from './supervisor-messages.js';
import { Standby } from './supervisor-standby.js';

export const PING_TIMEOUT_MS = 1_000;
/** A relayed message's commit may wait out a locked store (its busy timeout is 5 s); past this the sender retries with its key. */
export const RELAY_TIMEOUT_MS = 10_000;
export { MAX_PENDING_CONNECTIONS } from './supervisor-connections.js';
export { DRAIN_EXIT_GRACE_MS } from './worker-handle.js';
export { WorkerStartError, type DrainOutcome, type ReplaceOutcome, type SupervisorClock, type SupervisorOptions } from './supervisor-types.js';

export class WorkerSupervisor {
  /** The worker that receives new connections. */
  private current: WorkerHandle | null = null;
  /** Workers replaced by a restart, finishing what they hold, and standbys being ended. */
  private readonly retiring: Retiring;
  private readonly connections: ConnectionHandover;
  private readonly standby: Standby;
  private readonly messages: WorkerMessageTarget;
  /** How long the next standby waits before it boots: the backoff's pacing after a crash. */
  private standbyDelayMs = 0;
  private stopping = false;
  /** What the serving worker last said about its store (read-only, full, locked), for status. */
  storeFailure: StoreFailure | null = null;
  private replacing: Promise<ReplaceOutcome> | null = null;
  /** Cancels the pending respawn. */
  private respawnTimer: (() => void) | null = null;
  /** A respawn booting a worker; a restart waits for it instead of starting a second one beside it. */
  private respawning: Promise<void> | null = null;
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
    this.retiring = new Retiring((worker, timeoutMs, mode) => drainWorker(worker, timeoutMs, mode, this.clock, options.log));
    this.connections = new ConnectionHandover({
      serving: () => this.current, stopping: () => this.stopping,
      breakerUntil: () => this.breakerUntil, answerContext: () => this.answerContext(),
    });
    this.standby = new Standby({
      spawn: () => this.spawn(true), clock: this.clock, log: options.log, lifecycle: options.lifecycle,
      wanted: () => this.current !== null && !this.stopping && this.breakerUntil === null,
      onChange: () => this.options.onChange(),
    }, options.standby ?? false);
    this.messages = {
      lifecycle: options.lifecycle, restartRequest: (full) => this.options.onRestartRequest(full), stats: () => this.stats(),
      storeHealth: (handle, failure) => { if (handle === this.current) this.storeFailure = failure; },
    };
  }

  get worker(): { pid: number; startTime: number } | null {
    return this.current === null ? null : { pid: this.current.pid, startTime: this.current.startTime };
  }

  /** The warm standby (booted or booting, not serving), for status and the benchmark. */
  get standbyWorker(): { pid: number; startTime: number; ready: boolean } | null {
    const standby = this.standby.worker;
    return standby === null ? null : { pid: standby.pid, startTime: standby.startTime, ready: standby.ready };
  }

  /** Start the first worker; resolves once it serves, rejects if it dies before it is ready. */
  async start(): Promise<void> {
    const handle = this.spawn();
    const exit = await handle.readyOrExit;
    if (exit !== null) throw new WorkerStartError(exit);
    this.promote(handle);
    this.standby.schedule();
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
    if (old !== null) this.retiring.retire(old, this.options.restartDrainMs);
    // The standby runs the old code and config, which a restart is there to leave behind.
    this.dismissStandby();
    this.promote(candidate);
    this.standby.schedule();
    this.restarts += 1;
    this.options.lifecycle.append('worker_replaced', { reason, oldWorkerPid: old?.pid ?? null, newWorkerPid: candidate.pid });
    this.options.onChange();
    return { ok: true, oldPid: old?.pid ?? null, newPid: candidate.pid };
  }

  /** Hand an accepted (paused) connection to the serving worker, or hold it until one serves. */
  forward(socket: Socket): void {
    this.connections.forward(socket);
  }

  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<{ pid: number | null; responsive: boolean; latencyMs: number | null }> {
    const worker = this.current;
    if (worker === null) return { pid: null, responsive: false, latencyMs: null };
    const latencyMs = await pingWorker(worker, timeoutMs, this.clock);
    return { pid: worker.pid, responsive: latencyMs !== null, latencyMs };
  }

  /** Pass a message from the control endpoint's `send` to the serving worker; none serving: unavailable. */
  relay(message: SentMessage, timeoutMs = RELAY_TIMEOUT_MS): Promise<RelayOutcome> {
    const worker = this.current;
    if (worker === null || !worker.ready) return Promise.resolve({ kind: 'unavailable', reason: 'no worker serves right now' });
    return relayMessage(worker, message, timeoutMs, this.clock);
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
    const others = this.retiring.drainAll(timeoutMs);
    const standby = this.standby.dismiss();
    if (standby !== null) this.retiring.markStandby(standby);
    // A standby still booting is drained once it is ready (a worker takes messages only after its boot).
    if (standby !== null) others.push(standby.readyOrExit.then((exit) => (exit === null ? this.drainOne(standby, 0, 'stop') : { killed: false })));
    const outcome = worker === null ? { killed: false } : await this.drainOne(worker, timeoutMs, 'stop');
    await Promise.all(others);
    this.connections.closeAll();
    return {
      inFlight: worker?.inFlightAtDrain ?? null, completed: worker?.drained?.completed ?? null,
      resumePending: worker?.drained?.resumePending ?? null, killed: outcome.killed,
    };
  }

  private drainOne(worker: WorkerHandle, timeoutMs: number, mode: DrainMode): Promise<{ killed: boolean }> {
    return drainWorker(worker, timeoutMs, mode, this.clock, this.options.log);
  }

  /** No standby now: the one there was ends (retiring until it exited, so none resumes beside it). */
  private dismissStandby(standby = this.standby.dismiss()): void {
    if (standby !== null) this.retiring.endStandby(standby);
  }

  /** Make a ready worker the one that serves; it resumes old work once no other worker is alive. */
  private promote(worker: WorkerHandle): void {
    this.current = worker;
    worker.servingSince = this.clock.now();
    this.storeFailure = null; // a new worker has not failed yet; it says so when it does
    this.connections.release();
    if (this.retiring.empty) worker.send({ type: 'resume' });
    this.options.onChange();
  }

  private spawn(standby = false): WorkerHandle {
    const handle = openWorker(this.spawner, this.options, this.clock, (h, message) => onWorkerMessage(h, message, this.messages), (h, exit) => this.onExit(h, exit));
    this.options.lifecycle.append('worker_start', { workerPid: handle.pid, ...(standby ? { standby } : {}) });
    return handle;
  }

  private onExit(handle: WorkerHandle, exit: WorkerExit): void {
    // A standby never served: its end is not the gateway's news (no last exit, no crash).
    const standby = this.standby.onExit(handle, exit) || this.retiring.isStandby(handle);
    const retired = this.retiring.remove(handle);
    this.options.lifecycle.append('worker_exit', { workerPid: handle.pid, code: exit.code, signal: exit.signal, reason: exit.reason, planned: this.stopping || retired, ...(standby ? { standby } : {}) });
    if (retired && this.retiring.empty && !this.stopping) this.current?.send({ type: 'resume' });
    if (standby) return this.options.onChange();
    this.lastExit = exit;
    if (this.current === handle) this.current = null;
    // Connections it never took: the serving worker takes them, or the next one does.
    this.connections.reclaim(handle);
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
    if (this.breakerUntil !== null) this.connections.answerWaiting(this.breakerUntil);
    // Exit 75 asks for a new worker, and the breaker for none: the standby is not the answer then;
    // nor is one that read a config.json (or agent module) that has changed since.
    if (planned || decision.breakerOpen || this.standby.isStale()) this.dismissStandby();
    // The standby takes over at once; the backoff paces the boot of the one after it instead.
    const takeover = this.standby.worker !== null;
    const delayMs = takeover ? 0 : decision.delayMs;
    this.standbyDelayMs = takeover ? decision.delayMs : 0;
    if (decision.breakerOpen) {
      this.breakerOpens += 1;
      this.options.lifecycle.append('breaker_open', { crashes: decision.recentCrashes, pauseMs: decision.delayMs });
      this.options.onChange(); // the breaker is news: status, metrics and alerts follow it
    }
    this.options.log.warn({ workerPid: handle.pid, exit: exit.reason, delayMs, breakerOpen: decision.breakerOpen, standby: takeover }, takeover ? 'worker died; the standby takes over' : 'worker died; respawning');
    this.respawnTimer = this.clock.after(delayMs, () => {
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
    const handle = await this.nextWorker();
    const exit = await handle.readyOrExit;
    // Ready after a stop began: drain() did not see it (it was not serving), so drain it here.
    if (exit === null && this.stopping) void this.drainOne(handle, 0, 'stop');
    else if (exit === null) this.serveAfterCrash(handle);
    else if (exit.code === EXIT.CONFIG) this.options.onFinal(EXIT.CONFIG, 'the worker reported a fatal configuration error');
    else if (!this.stopping) this.scheduleRespawn(handle, exit);
  }

  /** The standby once it is ready, unless it read files changed since; else a new worker. */
  private async nextWorker(): Promise<WorkerHandle> {
    const standby = this.standby.take();
    if (standby !== null) {
      // One that died while booting, or a stop that began meanwhile: respawn() sees to it.
      if ((await standby.readyOrExit) !== null || this.stopping) return standby;
      if (!this.standby.isStale(standby)) {
        this.options.lifecycle.append('standby_promoted', { workerPid: standby.pid });
        return standby;
      }
      this.dismissStandby(standby);
    }
    const fresh = this.spawn();
    this.options.onChange();
    return fresh;
  }

  private serveAfterCrash(handle: WorkerHandle): void {
    this.promote(handle);
    this.standby.schedule(this.standbyDelayMs);
    this.standbyDelayMs = 0;
  }
}
