// The monitor: the process `run` and `start` launch. It owns the single-instance lock (the control
// endpoint), the PID file, the state file and the API's listening socket; the gateway work runs in
// a worker child it supervises. A stop, from any door (control endpoint, planned-stop marker, signal),
// takes the same path: drain the worker, record what happened, release everything, exit.
// This file is the monitor's life (boot, stop, release); its parts are the monitor-*.ts files.
import type { Server } from 'node:net';
import { isDetached, workerEnv } from '../env.js';
import { errorMessage, GatehouseError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { platform, type InstanceLock } from '../platform/index.js';
import type { ExitWatch } from '../platform/exit-watch.js';
import type { HelloReply, RestartReply, StatusReply, StopReply } from './protocol.js';
import { ENTRY_SCRIPT } from '../version.js';
import { listenApi, type ApiListener } from './api-listener.js';
import { startControlServer } from './control-server.js';
import { selfIdentity } from './identity.js';
import { removePidFileIfOwned } from './pid-file.js';
import type { MarkerWatcher } from './planned-stop.js';
import type { GatewayState } from './state-file.js';
import { WorkerStartError, WorkerSupervisor } from './supervisor.js';
import type { Alerts } from './alerts/index.js';
import type { WorkerWatch } from './worker-watch.js';
import { watchLauncher, watchMarker, watchSignals } from './monitor-doors.js';
import { monitorAlerts, resolveGatewayBack, syncBreakerIncident, watchWorker } from './monitor-incidents.js';
import { helloReply, sendReply, statusReply, writeMonitorState } from './monitor-report.js';
import { restartGateway } from './monitor-restart.js';
import { recordStart } from './monitor-start-record.js';
import type { MonitorContext, MonitorIdentity } from './monitor-types.js';

export { signalExitCode } from './monitor-doors.js';
export type { MonitorContext, MonitorHost, MonitorIdentity } from './monitor-types.js';

const { randomUUID } = process.getBuiltinModule('node:crypto');

/** How long an exiting monitor waits for its workers' last lines to reach the log. */
const OUTPUT_SETTLE_MS = 2_000;

export function newInstanceId(): string {
  return `gh_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

export class Monitor {
  private state: GatewayState = 'starting';
  private reason: string | null = null;
  private readonly who: MonitorIdentity = {
    startedAt: new Date().toISOString(), self: selfIdentity(), detached: isDetached(), job: platform.jobMembership(),
  };
  private control: Server | null = null;
  private api: ApiListener | null = null;
  private markerWatcher: MarkerWatcher | null = null;
  private launcherWatch: ExitWatch | null = null;
  private lock: InstanceLock | null = null;
  private stopping: Promise<void> | null = null;
  private readonly supervisor: WorkerSupervisor;
  private readonly alerts: Alerts;
  private readonly workerWatch: WorkerWatch;

  constructor(private readonly ctx: MonitorContext) {
    this.supervisor = new WorkerSupervisor({
      entry: ENTRY_SCRIPT,
      args: ['run', '--profile', ctx.paths.profile],
      env: workerEnv(ctx.instance, ctx.paths.home),
      cwd: ctx.paths.dir,
      output: ctx.output.capture,
      log: ctx.log,
      lifecycle: ctx.lifecycle,
      onFinal: (code, reason) => { void this.stop(reason, 0, code); },
      onChange: () => {
        this.writeState();
        syncBreakerIncident(this.alerts, this.supervisor);
      },
      onRestartRequest: (full) => { void this.restart(full, 'API /v1/admin/restart'); },
      restartDrainMs: ctx.config.drain.timeoutMs,
      standby: ctx.config.supervisor.standby,
      token: ctx.token,
      startedAtMs: Date.parse(this.who.startedAt),
    });
    this.alerts = monitorAlerts(ctx);
    this.workerWatch = watchWorker(ctx, this.supervisor, this.alerts);
  }

  /** The API's address once it listens. */
  get apiUrl(): string | null {
    return this.api?.url ?? null;
  }

  /**
   * Take the lock, record who we are, listen, start the worker; true once it serves. On failure it
   * exits the process (or, hosted, releases what it took, tells the host, and resolves false).
   */
  async boot(): Promise<boolean> {
    const { paths, log, lifecycle } = this.ctx;
    if (this.ctx.host === undefined) {
      watchSignals(this.ctx, this.who.detached, {
        stop: (reason, timeoutMs, code) => { void this.stop(reason, timeoutMs, code); },
        restart: (reason) => { void this.restart(false, reason); },
        stopping: () => this.stopping !== null,
      });
    }
    // Windows: the named mutex is the lock (a named pipe is not exclusive under Wine); elsewhere a no-op.
    this.lock = platform.instanceLock(paths.dir);
    if (this.lock === null) {
      const reason = 'another gateway already runs this profile (its single-instance lock is held)';
      log.error(reason);
      return this.exit(EXIT.FAILURE, reason);
    }
    try {
      this.control = await startControlServer(platform.controlEndpoint(paths.dir), this.ctx.token, {
        hello: () => this.hello(),
        status: () => this.status(),
        stop: (timeoutMs, reason) => this.requestStop(timeoutMs, reason),
        restart: (full, reason) => this.restart(full, reason),
        send: async (message) => sendReply(await this.supervisor.relay(message), this.api?.url ?? null),
      });
    } catch (error) {
      log.error(errorMessage(error));
      this.lock.release();
      return this.exit(EXIT.FAILURE, errorMessage(error));
    }
    recordStart(this.ctx, this.who);
    this.writeState();
    this.markerWatcher = watchMarker(this.ctx, this.who.self, (reason, timeoutMs) => { void this.stop(reason, timeoutMs); });
    log.info({ pid: process.pid, instance: this.ctx.instance, detached: this.who.detached }, 'monitor started');
    try {
      const { api } = this.ctx.config;
      this.api = await listenApi(api.host, api.port, (socket) => this.supervisor.forward(socket));
      await this.supervisor.start();
    } catch (error) {
      const code = error instanceof WorkerStartError && error.exit.code === EXIT.CONFIG ? EXIT.CONFIG : EXIT.FAILURE;
      await this.fail(errorMessage(error), code, error instanceof GatehouseError ? error.hint : undefined);
      return false;
    }
    this.state = 'running';
    this.writeState();
    lifecycle.append('ready', { api: this.api?.url, workerPid: this.supervisor.worker?.pid });
    log.info({ api: this.api?.url, workerPid: this.supervisor.worker?.pid }, 'gateway ready');
    this.launcherWatch = watchLauncher(this.ctx, (reason, timeoutMs) => { void this.stop(reason, timeoutMs); });
    resolveGatewayBack(this.alerts);
    this.workerWatch.start();
    return true;
  }

  /** Replace the worker with no refused connection; or, full, the monitor too (monitor-restart.ts). */
  restart(full: boolean, reason: string): Promise<RestartReply> {
    return restartGateway({
      ctx: this.ctx, self: this.who.self, supervisor: this.supervisor,
      stop: (why, timeoutMs, code) => { void this.stop(why, timeoutMs, code); },
    }, full, reason);
  }

  private hello(): HelloReply {
    return helloReply(this.ctx, this.who, this.state);
  }

  private async status(): Promise<StatusReply> {
    return statusReply(this.hello(), this.who, this.api?.url ?? null, this.supervisor);
  }

  private requestStop(timeoutMs: number | undefined, reason: string): StopReply {
    const effective = timeoutMs ?? this.ctx.config.drain.timeoutMs;
    void this.stop(reason, effective);
    return { accepted: true, timeoutMs: effective };
  }

  /** Drain and exit; every door leads here, and only the first call does anything. */
  stop(reason: string, timeoutMs: number, exitCode: number = EXIT.OK): Promise<void> {
    this.stopping ??= this.drainAndExit(reason, timeoutMs, exitCode);
    return this.stopping;
  }

  private async drainAndExit(reason: string, timeoutMs: number, exitCode: number): Promise<void> {
    const { log, lifecycle } = this.ctx;
    this.state = 'draining';
    this.reason = reason;
    this.writeState();
    this.markerWatcher?.close();
    this.launcherWatch?.close();
    this.workerWatch.stop();
    log.info({ reason, timeoutMs }, 'stopping: draining the worker');
    lifecycle.append('drain_begin', { reason, timeoutMs });
    const outcome = await this.supervisor.drain(timeoutMs);
    await this.ctx.output.settled(OUTPUT_SETTLE_MS);
    lifecycle.append('drain_end', { ...outcome });
    log.info(outcome, 'drain finished');
    lifecycle.append('stop', { reason });
    return this.release('stopped', reason, exitCode);
  }

  private async fail(message: string, exitCode: number, hint?: string): Promise<void> {
    this.ctx.log.error({ hint }, message);
    this.ctx.lifecycle.append('start_failed', { reason: message });
    await this.supervisor.drain(0);
    await this.ctx.output.settled(OUTPUT_SETTLE_MS);
    return this.release('stopped', message, exitCode);
  }

  private release(state: GatewayState, reason: string, exitCode: number): void {
    this.api?.server.close();
    this.control?.close();
    this.markerWatcher?.close();
    this.launcherWatch?.close();
    this.workerWatch.stop();
    this.lock?.release();
    removePidFileIfOwned(this.ctx.paths.pidFile, this.ctx.instance);
    this.state = state;
    this.reason = reason;
    this.writeState();
    this.ctx.lifecycle.append('exit', { code: exitCode, reason });
    this.ctx.log.info({ code: exitCode }, 'monitor exiting');
    this.exit(exitCode, reason);
  }

  /** The end: the process's exit, or hosted, the host's. False, for boot's early returns. */
  private exit(code: number, reason: string): false {
    if (this.ctx.host === undefined) process.exit(code);
    this.ctx.host.exit(code, reason);
    return false;
  }

  private writeState(): void {
    writeMonitorState(this.ctx, this.who, { state: this.state, reason: this.reason, apiUrl: this.api?.url ?? null }, this.supervisor);
  }
}
