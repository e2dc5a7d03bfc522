// What the monitor knows and a scrape must still say when the worker is dead: uptime, restarts,
// crashes, the crash-loop breaker, and its own footprint. The worker asks for it over IPC at each
// scrape; while no worker runs, the monitor renders the same families itself.
import { processFamilies, type MetricFamily, type ProcessUsage } from './metrics-text.js';

export interface MonitorStats {
  readonly startedAtMs: number;
  /** Workers started after the first: respawns after crashes and replacements by a restart. */
  readonly restarts: number;
  /** Worker exits nobody asked for (not a drain, not exit 75). */
  readonly crashes: number;
  readonly breakerOpen: boolean;
  readonly breakerOpens: number;
  readonly workerUp: boolean;
  readonly usage: ProcessUsage;
}

function gauge(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: 'gauge', samples: [{ value }] };
}

function counter(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: 'counter', samples: [{ value }] };
}

/** The monitor's families, without the process ones (the caller merges those with the worker's). */
export function monitorFamilies(stats: MonitorStats, nowMs = Date.now()): MetricFamily[] {
  return [
    gauge('gatehouse_start_time_seconds', 'When the monitor started, seconds since the epoch.', stats.startedAtMs / 1000),
    gauge('gatehouse_uptime_seconds', 'Seconds since the monitor started.', Math.max(0, (nowMs - stats.startedAtMs) / 1000)),
    counter('gatehouse_worker_restarts_total', 'Workers started after the first (crash respawns and restarts).', stats.restarts),
    counter('gatehouse_worker_crashes_total', 'Worker exits the monitor did not ask for.', stats.crashes),
    gauge('gatehouse_crash_loop_open', '1 while the crash-loop breaker holds respawns back.', stats.breakerOpen ? 1 : 0),
    counter('gatehouse_crash_loop_opened_total', 'Times the crash-loop breaker opened.', stats.breakerOpens),
    gauge('gatehouse_worker_up', '1 while a worker serves the API.', stats.workerUp ? 1 : 0),
  ];
}

/** What the monitor answers on /metrics by itself (no worker): its families and its own process. */
export function monitorOnlyFamilies(stats: MonitorStats): MetricFamily[] {
  return [...monitorFamilies(stats), ...processFamilies([stats.usage])];
}
