// The monitor's doors besides the control endpoint: stop signals (and the restart signal), the
// planned-stop marker for stoppers that cannot speak the control protocol, and on Windows under the
// service the launcher, whose end is the Task Scheduler's stop. A door only calls back: every stop
// takes the monitor's one drain-and-exit path.
import { isSupervised } from '../env.js';
import { EXIT, exitCodeForSignal } from '../exit-codes.js';
import { platform, type ProcessIdentity } from '../platform/index.js';
import { managerStopEndsParent, parentIdentity, watchExit, type ExitWatch } from '../platform/exit-watch.js';
import { watchPlannedStop, type MarkerWatcher } from './planned-stop.js';
import type { MonitorContext, StopMonitor } from './monitor-types.js';

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

export interface SignalActions {
  readonly stop: StopMonitor;
  /** Replace the worker (zero downtime), as `gatehouse restart` does. */
  readonly restart: (reason: string) => void;
  /** A stop has begun already (a signal then is no news). */
  readonly stopping: () => boolean;
}

/** Stop signals drain; the restart signal (SIGUSR1 on POSIX) replaces the worker. Not when hosted. */
export function watchSignals(ctx: MonitorContext, detached: boolean, actions: SignalActions): void {
  // No terminal (started by `start`, a service, a script): console events are not for us (Windows;
  // a no-op on POSIX). A foreground run keeps Ctrl+C, which drains.
  const noTerminal = detached || process.stdin.isTTY !== true;
  if (noTerminal) platform.absorbConsoleSignals();
  for (const signal of platform.stopSignals(noTerminal)) {
    process.on(signal, () => {
      const code = signalExitCode(signal, noTerminal);
      if (code !== EXIT.OK && !actions.stopping()) ctx.log.warn({ signal, code }, 'a stop signal that no planned stop announced: draining, then exiting non-zero so a service manager brings the gateway back');
      actions.stop(`signal ${signal}`, ctx.config.drain.timeoutMs, code);
    });
  }
  const restart = platform.restartSignal;
  if (restart !== null) process.on(restart, () => { actions.restart(`signal ${restart}`); });
}

/** The planned-stop marker, for stoppers that cannot speak the control protocol. */
export function watchMarker(ctx: MonitorContext, self: ProcessIdentity, stop: StopMonitor): MarkerWatcher {
  const timeoutMs = ctx.config.drain.timeoutMs;
  return watchPlannedStop(
    ctx.paths.plannedStop,
    self,
    (marker) => {
      ctx.lifecycle.append('planned_stop_marker', { stopperPid: marker.stopperPid });
      stop(marker.reason ?? `planned-stop marker from pid ${marker.stopperPid}`, marker.timeoutMs ?? timeoutMs);
    },
    (verdict) => ctx.log.warn({ verdict }, 'removed a planned-stop marker that was not for this gateway'),
  );
}

/**
 * Windows, under the service: the Scheduled Task's action is the launcher (wscript.exe), which
 * started this monitor and waits for it. `schtasks /End` (and Task Manager) end only the launcher,
 * and nothing tells us: left alone we would be an orphan holding the port while the task looks
 * stopped, and the next run of the task would find the profile taken. So a supervised monitor
 * whose manager stops by ending its parent drains and exits when that parent is gone. Armed once
 * the worker runs; a parent already gone by then (or whose pid was reused) counts as gone.
 * Null when there is nothing to watch.
 */
export function watchLauncher(ctx: MonitorContext, stop: StopMonitor): ExitWatch | null {
  if (!isSupervised() || !managerStopEndsParent || ctx.host !== undefined) return null;
  const launcher = parentIdentity();
  const gone = (): void => {
    ctx.lifecycle.append('launcher_gone', { launcherPid: launcher?.pid ?? process.ppid });
    stop('the launcher that started this gateway exited (schtasks /End, or it was killed)', ctx.config.drain.timeoutMs);
  };
  if (launcher === null) {
    gone();
    return null;
  }
  ctx.lifecycle.append('launcher_watch', { launcherPid: launcher.pid });
  return watchExit(launcher, gone);
}
