// Messages between the monitor and its worker over the IPC channel.
import type { MonitorStats } from './monitor-metrics.js';
import type { StoreFailure } from '../gateway/store-errors.js';
import type { InputStamp } from './worker-inputs.js';
import type { RelayedOutcome } from '../gateway/accept.js';
import type { SentMessage } from './protocol.js';

/** stop: refuse new work (503) and exit; restart: keep serving the connections already held, each
 *  answered with `Connection: close`, while the new worker takes every new connection. */
export type DrainMode = 'stop' | 'restart';

export type MonitorToWorker =
  /** With a socket handle. `id` comes back in a connection_ack once the worker owns it. */
  | { readonly type: 'connection'; readonly id: number }
  | { readonly type: 'drain'; readonly timeoutMs: number; readonly mode: DrainMode }
  /** No other worker is alive any more: pick up what earlier lives left unanswered. */
  | { readonly type: 'resume' }
  | { readonly type: 'ping'; readonly id: number }
  /** The answer to a stats_request: the monitor's figures for /metrics. */
  | { readonly type: 'stats'; readonly id: number; readonly stats: MonitorStats }
  /** A message from the control endpoint's `send`: commit it as the HTTP API's POST would; `id` comes back in `accepted`. */
  | ({ readonly type: 'accept'; readonly id: number } & SentMessage);

export type WorkerToMonitor =
  /** Booted; inputs: the files it read its behaviour from, as they were then. */
  | { readonly type: 'ready'; readonly inputs?: readonly InputStamp[] }
  | { readonly type: 'connection_ack'; readonly id: number }
  | { readonly type: 'resumed'; readonly resumed: number; readonly failed: number }
  | { readonly type: 'pong'; readonly id: number; readonly inFlight: number }
  | { readonly type: 'drain_begin'; readonly inFlight: number }
  | { readonly type: 'drained'; readonly completed: number; readonly resumePending: number; readonly timedOut: boolean }
  /** The API's /v1/admin/restart: the monitor replaces the worker (or, full, itself). */
  | { readonly type: 'restart_request'; readonly full: boolean }
  /** A /metrics scrape: the worker asks for the monitor's figures. */
  | { readonly type: 'stats_request'; readonly id: number }
  /** The store began failing (read-only, full, locked) or recovered (null): for status. */
  | { readonly type: 'store_health'; readonly failure: StoreFailure | null }
  | { readonly type: 'accepted'; readonly id: number; readonly outcome: RelayedOutcome };

export function isWorkerMessage(value: unknown): value is WorkerToMonitor {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
