// Which of the monitor's own observations become alerts: a worker that stops answering its pings
// (the worker watch), the crash-loop breaker holding respawns back, and the gateway serving again,
// which ends whatever the watchdog said about a dead or wedged gateway.
import { Alerts } from './alerts/index.js';
import type { WorkerSupervisor } from './supervisor.js';
import { WorkerWatch } from './worker-watch.js';
import type { MonitorContext } from './monitor-types.js';

export function monitorAlerts(ctx: MonitorContext): Alerts {
  return new Alerts(ctx.paths, ctx.config.alerts, (error, what) => ctx.log.warn({ err: error }, `alerts: could not ${what}`));
}

/** A worker silent for alerts.wedgedAfterMs is an incident until it answers again. */
export function watchWorker(ctx: MonitorContext, supervisor: WorkerSupervisor, alerts: Alerts): WorkerWatch {
  return new WorkerWatch(ctx.config.alerts.wedgedAfterMs, {
    ping: (timeoutMs) => supervisor.ping(timeoutMs),
    onWedged: (pid, silentMs) => {
      ctx.lifecycle.append('worker_wedged', { workerPid: pid, silentMs });
      alerts.fire('worker_wedged', { severity: 'critical', title: 'the worker is wedged', message: `worker pid ${pid} has not answered the monitor for ${Math.round(silentMs / 1000)} s` });
    },
    onAnswering: (pid) => alerts.resolve('worker_wedged', `worker pid ${pid} answers again`),
  });
}

/** The breaker holds respawns back: an incident until a worker serves again. */
export function syncBreakerIncident(alerts: Alerts, supervisor: WorkerSupervisor): void {
  const until = supervisor.breakerUntil;
  if (until !== null) {
    const crash = supervisor.lastCrash;
    alerts.fire('crash_loop', {
      severity: 'critical', title: 'the worker keeps crashing',
      message: `the crash-loop breaker opened (last crash: ${crash?.reason ?? 'unknown'}); the next try is at ${new Date(until).toISOString()}`,
    });
  } else if (supervisor.worker !== null) {
    alerts.resolve('crash_loop', 'a worker serves again');
  }
}

/** Alive and serving: whatever the watchdog said about a dead or wedged gateway is over. */
export function resolveGatewayBack(alerts: Alerts): void {
  alerts.resolve('gateway_down', 'the gateway is back');
  alerts.resolve('gateway_wedged', 'the gateway is back');
}
