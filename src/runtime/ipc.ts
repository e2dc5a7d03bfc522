// Messages between the monitor and its worker over the IPC channel.

export type MonitorToWorker =
  | { readonly type: 'connection' }
  | { readonly type: 'drain'; readonly timeoutMs: number }
  | { readonly type: 'ping'; readonly id: number };

export type WorkerToMonitor =
  | { readonly type: 'ready'; readonly resumed: number; readonly failedResumes: number }
  | { readonly type: 'pong'; readonly id: number; readonly inFlight: number }
  | { readonly type: 'drain_begin'; readonly inFlight: number }
  | { readonly type: 'drained'; readonly completed: number; readonly resumePending: number; readonly timedOut: boolean };

export function isWorkerMessage(value: unknown): value is WorkerToMonitor {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
