// What a worker tells the monitor over IPC, and what the supervisor does with each message:
// lifecycle events for its boot and its resumed work, a restart asked through the API, the
// monitor's figures for a /metrics scrape, and its store's health. Drain progress and pongs are
// kept on the worker's handle (worker-handle.ts).
import type { StoreFailure } from '../gateway/store-errors.js';
import type { WorkerToMonitor } from './ipc.js';
import type { LifecycleLog } from './lifecycle-log.js';
import type { MonitorStats } from './monitor-metrics.js';
import type { WorkerHandle } from './worker-handle.js';

export interface WorkerMessageTarget {
  readonly lifecycle: LifecycleLog;
  /** The API's /v1/admin/restart, passed on to the monitor. */
  restartRequest(full: boolean): void;
  stats(): MonitorStats;
  /** The worker's store began failing or recovered (null); only the serving worker's counts. */
  storeHealth(handle: WorkerHandle, failure: StoreFailure | null): void;
}

export function onWorkerMessage(handle: WorkerHandle, message: WorkerToMonitor, target: WorkerMessageTarget): void {
  switch (message.type) {
    case 'ready':
      target.lifecycle.append('worker_ready', { workerPid: handle.pid });
      break;
    case 'resumed':
      if (message.resumed + message.failed > 0) target.lifecycle.append('resume', { workerPid: handle.pid, ...message });
      break;
    case 'restart_request':
      target.restartRequest(message.full);
      break;
    case 'stats_request':
      handle.send({ type: 'stats', id: message.id, stats: target.stats() });
      break;
    case 'store_health':
      target.storeHealth(handle, message.failure);
      break;
    default:
      break; // drain progress and pongs are kept on the handle
  }
}
