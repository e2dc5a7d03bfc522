// The monitor's side of the worker: spawn it, hand it connections, ping it, drain it, and respawn
// it when it dies (at once for exit 75, with backoff and a crash-loop breaker otherwise; never after
// exit 78, fatal configuration, or exit 0, a stop the worker was asked for).
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { describeExit, EXIT } from '../exit-codes.js';
import { platform } from '../platform/index.js';
import { spawnWorkerProcess } from '../platform/spawn.js';
import { RestartBackoff } from './backoff.js';
import { killProcessTree } from './process-tree.js';
import { isWorkerMessage, type MonitorToWorker, type WorkerToMonitor } from './ipc.js';
import type { LifecycleLog } from './lifecycle-log.js';
import type { WorkerExit } from './state-file.js';

/** Connections accepted while no worker is ready wait here; past this many, new ones are closed. */
export const MAX_PENDING_CONNECTIONS = 1024;
/** After its drain deadline, a worker gets this long to exit before it is killed. */
export const DRAIN_EXIT_GRACE_MS = 5_000;
export const PING_TIMEOUT_MS = 1_000;

interface WorkerHandle {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startTime: number;
  readonly startedAt: number;
  ready: boolean;
  onReady: (() => void) | null;
  drained: Extract<WorkerToMonitor, { type: 'drained' }> | null;
  inFlightAtDrain: number | null;
  readonly exited: Promise<WorkerExit>;
}

export interface SupervisorOptions {
  readonly entry: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly log: Logger;
  readonly lifecycle: LifecycleLog;
  /** The worker ended in a way that must end the monitor too (exit 0 or 78). */
  readonly onFinal: (code: number, reason: string) => void;
  /** Something status shows changed (restart count, last exit, breaker). */
  readonly onChange: () => void;
  readonly backoff?: RestartBackoff;
}

export interface DrainOutcome {
  readonly inFlight: number | null;
  readonly completed: number | null;
  readonly resumePending: number | null;
  readonly killed: boolean;
}

export class WorkerStartError extends Error {
  constructor(readonly exit: WorkerExit) {
    super(`the worker exited before it was ready (${exit.reason})`);
  }
}

export class WorkerSupervisor {
  private current: WorkerHandle | null = null;
  private readonly pending: Socket[] = [];
  private stopping = false;
  /** The first worker's boot: its failure is reported by start(), not answered with a respawn. */
  private booting = false;
  private respawnTimer: NodeJS.Timeout | null = null;
  private nextPing = 1;
  private readonly pings = new Map<number, () => void>();
  private readonly backoff: RestartBackoff;
  restarts = 0;
  lastExit: WorkerExit | null = null;
  breakerUntil: number | null = null;

  constructor(private readonly options: SupervisorOptions) {
    this.backoff = options.backoff ?? new RestartBackoff();
  }

  get worker(): { pid: number; startTime: number } | null {
    return this.current === null ? null : { pid: this.current.pid, startTime: this.current.startTime };
  }

  /** Start the first worker; resolves once it is ready, rejects if it dies before. */
  async start(): Promise<void> {
    this.booting = true;
    const handle = this.spawn();
    try {
      await new Promise<void>((resolve, reject) => {
        handle.onReady = resolve;
        void handle.exited.then((exit) => { if (!handle.ready) reject(new WorkerStartError(exit)); });
      });
    } finally {
      this.booting = false;
    }
  }

  /** Hand an accepted (paused) connection to the ready worker, or hold it until one is ready. */
  forward(socket: Socket): void {
    if (this.stopping && this.current === null) {
      socket.destroy();
      return;
    }
    const worker = this.current;
    if (worker === null || !worker.ready) {
      if (this.pending.length >= MAX_PENDING_CONNECTIONS) socket.destroy();
      else this.pending.push(socket);
      return;
    }
    const message: MonitorToWorker = { type: 'connection' };
    worker.child.send(message, socket, { keepOpen: false }, (error) => {
      if (error !== null && error !== undefined) this.pending.push(socket); // the worker went away: the next one serves it
    });
  }

  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<{ pid: number | null; responsive: boolean; latencyMs: number | null }> {
    const worker = this.current;
    if (worker === null || !worker.ready) return { pid: worker?.pid ?? null, responsive: false, latencyMs: null };
    const id = this.nextPing++;
    const started = performance.now();
    const answered = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => { this.pings.delete(id); resolve(false); }, timeoutMs);
      this.pings.set(id, () => { clearTimeout(timer); resolve(true); });
      this.send(worker, { type: 'ping', id });
    });
    return { pid: worker.pid, responsive: answered, latencyMs: answered ? Math.round((performance.now() - started) * 10) / 10 : null };
  }

  /** Stop for good: ask the worker to drain for timeoutMs, kill it if it has not exited by then. */
  async drain(timeoutMs: number): Promise<DrainOutcome> {
    this.stopping = true;
    if (this.respawnTimer !== null) clearTimeout(this.respawnTimer);
    const worker = this.current;
    if (worker === null) {
      this.closePending();
      return { inFlight: null, completed: null, resumePending: null, killed: false };
    }
    this.send(worker, { type: 'drain', timeoutMs });
    let killed = false;
    const grace = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), timeoutMs + DRAIN_EXIT_GRACE_MS).unref());
    if ((await Promise.race([worker.exited, grace])) === 'late') {
      this.options.log.warn({ workerPid: worker.pid }, 'worker did not exit after its drain deadline; killing it');
      killProcessTree(worker, 'SIGKILL');
      killed = true;
      await worker.exited;
    }
    this.closePending();
    return { inFlight: worker.inFlightAtDrain, completed: worker.drained?.completed ?? null, resumePending: worker.drained?.resumePending ?? null, killed };
  }

  private spawn(): WorkerHandle {
    const child = spawnWorkerProcess(this.options.entry, this.options.args, { env: this.options.env, cwd: this.options.cwd });
    const pid = child.pid ?? -1;
    let settle: (exit: WorkerExit) => void = () => {};
    const exited = new Promise<WorkerExit>((resolve) => { settle = resolve; });
    const handle: WorkerHandle = {
      child, pid, startTime: platform.processStartTime(pid) ?? Date.now(), startedAt: Date.now(),
      ready: false, onReady: null, drained: null, inFlightAtDrain: null, exited,
    };
    this.current = handle;
    this.options.lifecycle.append('worker_start', { workerPid: pid });
    child.on('message', (message: unknown) => { if (isWorkerMessage(message)) this.onMessage(handle, message); });
    child.on('error', (error) => this.options.log.error({ err: error }, 'worker process error'));
    child.on('exit', (code, signal) => {
      const exit: WorkerExit = { code, signal, at: new Date().toISOString(), reason: describeExit(code, signal) };
      this.onExit(handle, exit);
      settle(exit);
    });
    return handle;
  }

  private onMessage(handle: WorkerHandle, message: WorkerToMonitor): void {
    switch (message.type) {
      case 'ready':
        handle.ready = true;
        handle.onReady?.();
        this.options.lifecycle.append('worker_ready', { workerPid: handle.pid, resumed: message.resumed, failedResumes: message.failedResumes });
        if (message.resumed > 0) this.options.lifecycle.append('resume', { workerPid: handle.pid, resumed: message.resumed });
        this.flushPending();
        this.options.onChange();
        break;
      case 'pong':
        this.pings.get(message.id)?.();
        this.pings.delete(message.id);
        break;
      case 'drain_begin':
        handle.inFlightAtDrain = message.inFlight;
        break;
      case 'drained':
        handle.drained = message;
        break;
    }
  }

  private onExit(handle: WorkerHandle, exit: WorkerExit): void {
    if (this.current === handle) this.current = null;
    this.lastExit = exit;
    this.options.lifecycle.append('worker_exit', { workerPid: handle.pid, code: exit.code, signal: exit.signal, reason: exit.reason, planned: this.stopping });
    this.options.onChange();
    if (this.stopping || (this.booting && !handle.ready)) return; // a drain, or a boot failure that start() reports
    if (exit.code === EXIT.CONFIG || exit.code === EXIT.OK) {
      this.options.onFinal(exit.code, exit.code === EXIT.CONFIG ? 'the worker reported a fatal configuration error' : 'the worker stopped');
      return;
    }
    this.scheduleRespawn(handle, exit);
  }

  private scheduleRespawn(handle: WorkerHandle, exit: WorkerExit): void {
    const decision = exit.code === EXIT.RESTART
      ? { delayMs: 0, breakerOpen: false, recentCrashes: 0 }
      : this.backoff.onCrash(handle.startedAt);
    this.breakerUntil = decision.breakerOpen ? Date.now() + decision.delayMs : null;
    this.options.log.warn({ workerPid: handle.pid, exit: exit.reason, delayMs: decision.delayMs, breakerOpen: decision.breakerOpen }, 'worker died; respawning');
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = null;
      this.breakerUntil = null;
      this.restarts += 1;
      this.spawn();
      this.options.onChange();
    }, decision.delayMs);
  }

  private send(worker: WorkerHandle, message: MonitorToWorker): void {
    if (!worker.child.connected) return;
    worker.child.send(message, (error) => {
      if (error !== null && error !== undefined) this.options.log.debug({ err: error }, 'could not reach the worker');
    });
  }

  private flushPending(): void {
    const waiting = this.pending.splice(0);
    for (const socket of waiting) this.forward(socket);
  }

  private closePending(): void {
    for (const socket of this.pending.splice(0)) socket.destroy();
  }
}
