// The monitor: the process `run` and `start` launch. It owns the single-instance lock (the control
// endpoint), the PID file, the state file and the API's listening socket; the gateway work runs in
// a worker child it supervises. A stop, from any door (control endpoint, planned-stop marker, signal),
// takes the same path: drain the worker, record what happened, release everything, exit.
import type { Server } from 'node:net';
import { isDetached, ENV, workerEnv } from '../env.js';
import { errorMessage, GatehouseError } from '../errors.js';
import { EXIT, exitCodeForSignal } from '../exit-codes.js';
import type { MonitorConfig } from '../gateway/config-core.js';
import type { ProfilePaths } from '../paths.js';
import { platform, type InstanceLock, type ProcessIdentity } from '../platform/index.js';
import { managerStopEndsParent, parentIdentity, watchExit, type ExitWatch } from '../platform/exit-watch.js';
import type { HelloReply, RestartReply, StatusReply, StopReply } from './protocol.js';
import { armRespawn, DEFAULT_RESPAWN_DEADLINE_MS } from './respawn.js';
import { ENTRY_SCRIPT, VERSION } from '../version.js';
import { listenApi, type ApiListener } from './api-listener.js';
import { startControlServer } from './control-server.js';
import { removePidFileIfOwned, selfIdentity, writePidFile } from './identity.js';
import { previousLifeUnclean, type LifecycleLog } from './lifecycle-log.js';
import type { Logger } from './json-log.js';
import { watchPlannedStop, type MarkerWatcher } from './planned-stop.js';
import { writeStateFile, type GatewayState } from './state-file.js';
import { WorkerStartError, WorkerSupervisor } from './supervisor.js';
import { Alerts } from './alerts/index.js';
import { WorkerWatch } from './worker-watch.js';
import type { WorkerOutput } from './worker-output.js';

const { randomUUID } = process.getBuiltinModule('node:crypto');

/** How long an exiting monitor waits for its workers' last lines to reach the log. */
const OUTPUT_SETTLE_MS = 2_000;

export interface MonitorContext {
  readonly paths: ProfilePaths;
  readonly config: MonitorConfig;
  readonly token: string;
  readonly log: Logger;
  /** The workers' stdout and stderr, written to the gateway log by the monitor (its one writer). */
  readonly output: WorkerOutput;
  readonly lifecycle: LifecycleLog;
  readonly instance: string;
  readonly argv: readonly string[];
  /**
   * Set when the monitor runs inside another program (the library's runGateway): the process is
   * the host's, so the monitor installs no signal handlers, answers a full restart by ending with
   * exit 75 for the host to act on, releases everything it holds, and calls exit instead of
   * process.exit.
   */
  readonly host?: MonitorHost;
}

export interface MonitorHost {
  /** The monitor has released everything (lock, sockets, files, worker) and is done. */
  exit(code: number, reason: string): void;
}

export function newInstanceId(): string {
  return `gh_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

/**
 * The exit status after a stop signal. Planned stops exit 0 and come through the control endpoint,
 * the planned-stop marker or the launcher's end (Windows); so does Ctrl+C (or the terminal closing)
 * in a foreground run. Any other signal (a stray `kill`, SIGTERM from anyone) drains as well but
 * exits 128 + its number, so that systemd (Restart=always) and launchd (KeepAlive SuccessfulExit
 * false) bring the gateway back; `systemctl stop` is told apart by the unit (SuccessExitStatus).
 */
export function signalExitCode(signal: NodeJS.Signals, noTerminal: boolean): number {
  return !noTerminal && signal !== 'SIGTERM' ? EXIT.OK : exitCodeForSignal(signal);
}

export class Monitor {
  private state: GatewayState = 'starting';
  private reason: string | null = null;
  private readonly startedAt = new Date().toISOString();
  private readonly self: ProcessIdentity = selfIdentity();
  private readonly detached = isDetached();
  /**
   * Read once, before the worker exists: a process never leaves a job, and under Wine 8
   * IsProcessInJob reports a process in a job once it has put a child into its own (libuv's) job.
   */
  private readonly job = platform.jobMembership();
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
        this.syncBreakerIncident();
      },
      onRestartRequest: (full) => { void this.restart(full, 'API /v1/admin/restart'); },
      restartDrainMs: ctx.config.drain.timeoutMs,
      standby: ctx.config.supervisor.standby,
      token: ctx.token,
      startedAtMs: Date.parse(this.startedAt),
    });
    this.alerts = new Alerts(ctx.paths, ctx.config.alerts, (error, what) => ctx.log.warn({ err: error }, `alerts: could not ${what}`));
    this.workerWatch = new WorkerWatch(ctx.config.alerts.wedgedAfterMs, {
      ping: (timeoutMs) => this.supervisor.ping(timeoutMs),
      onWedged: (pid, silentMs) => {
        ctx.lifecycle.append('worker_wedged', { workerPid: pid, silentMs });
        this.alerts.fire('worker_wedged', { severity: 'critical', title: 'the worker is wedged', message: `worker pid ${pid} has not answered the monitor for ${Math.round(silentMs / 1000)} s` });
      },
      onAnswering: (pid) => this.alerts.resolve('worker_wedged', `worker pid ${pid} answers again`),
    });
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
    if (this.ctx.host === undefined) this.watchSignals();
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
      });
    } catch (error) {
      log.error(errorMessage(error));
      this.lock.release();
      return this.exit(EXIT.FAILURE, errorMessage(error));
    }
    this.recordStart();
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
    this.watchLauncher();
    // Alive and serving: whatever the watchdog said about a dead or wedged gateway is over.
    this.alerts.resolve('gateway_down', 'the gateway is back');
    this.alerts.resolve('gateway_wedged', 'the gateway is back');
    this.workerWatch.start();
    return true;
  }

  /**
   * Windows, under the service: the Scheduled Task's action is the launcher (wscript.exe), which
   * started this monitor and waits for it. `schtasks /End` (and Task Manager) end only the launcher,
   * and nothing tells us: left alone we would be an orphan holding the port while the task looks
   * stopped, and the next run of the task would find the profile taken. So a supervised monitor
   * whose manager stops by ending its parent drains and exits when that parent is gone. Armed once
   * the worker runs; a parent already gone by then (or whose pid was reused) counts as gone.
   */
  private watchLauncher(): void {
    if (!this.supervised || !managerStopEndsParent || this.ctx.host !== undefined) return;
    const launcher = parentIdentity();
    const gone = (): void => {
      this.ctx.lifecycle.append('launcher_gone', { launcherPid: launcher?.pid ?? process.ppid });
      void this.stop('the launcher that started this gateway exited (schtasks /End, or it was killed)', this.ctx.config.drain.timeoutMs);
    };
    if (launcher === null) return gone();
    this.ctx.lifecycle.append('launcher_watch', { launcherPid: launcher.pid });
    this.launcherWatch = watchExit(launcher, gone);
  }

  private recordStart(): void {
    const { paths, log, lifecycle, instance } = this.ctx;
    lifecycle.rotateIfLarge();
    const unclean = previousLifeUnclean(lifecycle.tail(200), instance);
    if (unclean !== null) {
      lifecycle.append('previous_exit_unclean', { previousInstance: unclean.instance, previousPid: unclean.pid, previousStart: unclean.ts });
      log.warn({ previousPid: unclean.pid }, 'the previous gateway did not exit cleanly; unanswered messages will be resumed');
    }
    const job = this.job;
    lifecycle.append('start', {
      argv: this.ctx.argv, execPath: process.execPath, version: VERSION, detached: this.detached,
      tty: process.stdin.isTTY === true, supervised: this.supervised, job,
    });
    if (job === 'in-job') log.warn('this gateway runs inside a job object (its starter forbade breakaway): it may die when the app that started it exits');
    writePidFile(paths.pidFile, {
      kind: 'gatehouse-monitor', pid: this.self.pid, startTime: this.self.startTime, startTicks: this.self.startTicks, instance,
      argv: [...this.ctx.argv], version: VERSION, profile: paths.profile,
    });
    this.writeState();
    this.watchMarker();
    log.info({ pid: process.pid, instance, detached: this.detached }, 'monitor started');
  }

  private watchSignals(): void {
    // No terminal (started by `start`, a service, a script): console events are not for us (Windows;
    // a no-op on POSIX). A foreground run keeps Ctrl+C, which drains.
    const noTerminal = this.detached || process.stdin.isTTY !== true;
    if (noTerminal) platform.absorbConsoleSignals();
    for (const signal of platform.stopSignals(noTerminal)) {
      process.on(signal, () => {
        const code = signalExitCode(signal, noTerminal);
        if (code !== EXIT.OK && this.stopping === null) this.ctx.log.warn({ signal, code }, 'a stop signal that no planned stop announced: draining, then exiting non-zero so a service manager brings the gateway back');
        void this.stop(`signal ${signal}`, this.ctx.config.drain.timeoutMs, code);
      });
    }
    // SIGUSR1 on POSIX: replace the worker (zero downtime), as `gatehouse restart` does.
    const restart = platform.restartSignal;
    if (restart !== null) process.on(restart, () => { void this.restart(false, `signal ${restart}`); });
  }

  private get supervised(): boolean {
    return process.env[ENV.SUPERVISED] === '1';
  }

  /**
   * Replace the worker with no refused connection; or, full, replace the monitor too: under a
   * service manager by exiting 75 so the manager starts it again, otherwise through a detached
   * watcher that starts the new monitor once this one has exited.
   */
  async restart(full: boolean, reason: string): Promise<RestartReply> {
    this.ctx.lifecycle.append('restart', { full, reason });
    if (!full) {
      const outcome = await this.supervisor.replace(reason);
      return outcome.ok
        ? { kind: 'worker', ok: true, oldWorkerPid: outcome.oldPid, newWorkerPid: outcome.newPid, reason: null }
        : { kind: 'worker', ok: false, oldWorkerPid: this.supervisor.worker?.pid ?? null, newWorkerPid: null, reason: outcome.reason };
    }
    // The new monitor would read config.json and die on it; refuse while the old one still serves,
    // as a worker restart does when its new worker cannot start.
    const invalid = await this.configProblem();
    if (invalid !== null) {
      this.ctx.log.error({ reason: invalid }, 'full restart refused: the configuration does not validate; the old gateway keeps serving');
      this.ctx.lifecycle.append('restart_refused', { full, reason: invalid });
      return { kind: 'full-refused', reason: invalid };
    }
    const timeoutMs = this.ctx.config.drain.timeoutMs;
    // Hosted, the monitor's code is the host's: only the host can load new code, so it is told (exit 75).
    if (this.ctx.host !== undefined) {
      void this.stop(`full restart (${reason}) asked of the host program`, timeoutMs, EXIT.RESTART);
      return { kind: 'full', via: 'host' };
    }
    if (this.supervised) {
      void this.stop(`full restart (${reason}) through the service manager`, timeoutMs, EXIT.RESTART);
      return { kind: 'full', via: 'service-manager' };
    }
    armRespawn(this.ctx.paths, { target: this.self, caller: null, reason: `full restart (${reason})`, stopIfRunning: false, deadlineMs: DEFAULT_RESPAWN_DEADLINE_MS });
    void this.stop(`full restart (${reason})`, timeoutMs);
    return { kind: 'full', via: 'watcher' };
  }

  /**
   * Why config.json would not start a new monitor, or null when it validates. The full validation
   * (and zod with it) is loaded only here, when a full restart is asked for: the monitor does not
   * carry it all day (gateway/config-core.ts).
   */
  private async configProblem(): Promise<string | null> {
    try {
      (await import('../gateway/config.js')).loadConfig(this.ctx.paths.config);
      return null;
    } catch (error) {
      return errorMessage(error);
    }
  }

  /** The planned-stop marker, for stoppers that cannot speak the control protocol. */
  private watchMarker(): void {
    const timeoutMs = this.ctx.config.drain.timeoutMs;
    this.markerWatcher = watchPlannedStop(
      this.ctx.paths.plannedStop,
      this.self,
      (marker) => {
        this.ctx.lifecycle.append('planned_stop_marker', { stopperPid: marker.stopperPid });
        void this.stop(marker.reason ?? `planned-stop marker from pid ${marker.stopperPid}`, marker.timeoutMs ?? timeoutMs);
      },
      (verdict) => this.ctx.log.warn({ verdict }, 'removed a planned-stop marker that was not for this gateway'),
    );
  }

  private hello(): HelloReply {
    return {
      instance: this.ctx.instance, pid: this.self.pid, startTime: this.self.startTime, startTicks: this.self.startTicks, profile: this.ctx.paths.profile,
      version: VERSION, state: this.state, supervised: this.supervised, hosted: this.ctx.host !== undefined,
    };
  }

  private async status(): Promise<StatusReply> {
    return {
      ...this.hello(),
      startedAt: this.startedAt,
      apiUrl: this.api?.url ?? null,
      worker: await this.supervisor.ping(),
      standby: this.standbyStatus(),
      restarts: this.supervisor.restarts,
      detached: this.detached,
      lastCrash: this.supervisor.lastCrash,
      job: this.job,
      breakerUntil: this.supervisor.breakerUntil === null ? null : new Date(this.supervisor.breakerUntil).toISOString(),
      store: this.supervisor.storeFailure,
    };
  }

  private standbyStatus(): { pid: number; ready: boolean } | null {
    const standby = this.supervisor.standbyWorker;
    return standby === null ? null : { pid: standby.pid, ready: standby.ready };
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

  /** The breaker holds respawns back: an incident until a worker serves again. */
  private syncBreakerIncident(): void {
    const until = this.supervisor.breakerUntil;
    if (until !== null) {
      const crash = this.supervisor.lastCrash;
      this.alerts.fire('crash_loop', {
        severity: 'critical', title: 'the worker keeps crashing',
        message: `the crash-loop breaker opened (last crash: ${crash?.reason ?? 'unknown'}); the next try is at ${new Date(until).toISOString()}`,
      });
    } else if (this.supervisor.worker !== null) {
      this.alerts.resolve('crash_loop', 'a worker serves again');
    }
  }

  private writeState(): void {
    const worker = this.supervisor.worker;
    writeStateFile(this.ctx.paths.stateFile, {
      state: this.state, pid: this.self.pid, startTime: this.self.startTime, instance: this.ctx.instance,
      startedAt: this.startedAt, updatedAt: new Date().toISOString(), api: this.api === null ? null : { url: this.api.url },
      worker, standby: this.supervisor.standbyWorker, reason: this.reason, restarts: this.supervisor.restarts, lastWorkerExit: this.supervisor.lastExit,
      detached: this.detached,
    });
  }
}
