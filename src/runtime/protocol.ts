// The control protocol spoken over the control endpoint: one JSON object per line each way, at most
// two requests per connection. First `hello` with the client's nonce: the server answers who it is
// and proves it knows the profile's token (runtime/control-auth.ts). Then, optionally, one command
// authorised by the client's proof. The token itself never crosses the endpoint.
import type { StoreFailure } from '../gateway/store-errors.js';
import type { GatewayState } from './state-file.js';
import type { ProcessIdentity } from '../platform/index.js';

export type ControlCommand =
  | { readonly cmd: 'status' }
  | { readonly cmd: 'stop'; readonly timeoutMs?: number; readonly reason?: string }
  | { readonly cmd: 'restart'; readonly full?: boolean; readonly reason?: string }
  /** A message for a session, passed on to the worker: what POST /v1/sessions/{session}/messages does, with the key as its Idempotency-Key. */
  | ({ readonly cmd: 'send' } & SentMessage);

/** A message `send` hands over: the session, the text and the key that makes a resend a replay. */
export interface SentMessage {
  readonly session: string;
  readonly text: string;
  readonly key: string;
}

export type ControlRequest =
  | { readonly cmd: 'hello'; readonly nonce: string }
  | (ControlCommand & { readonly auth: string });

/** The proof part of a hello answer: the server's nonce and its HMAC over both nonces. */
export interface HelloProof {
  readonly challenge: string;
  readonly proof: string;
}

export interface HelloReply {
  readonly instance: string;
  readonly pid: number;
  readonly startTime: number;
  /** Linux: the monitor's start ticks (ProcessIdentity.startTicks); absent from older monitors. */
  readonly startTicks?: number;
  readonly profile: string;
  readonly version: string;
  readonly state: GatewayState;
  /** Started by a service manager (systemd, launchd, Task Scheduler): full restarts go through it. */
  readonly supervised: boolean;
  /**
   * Runs inside another program (the library's runGateway): it ends without its process, so a
   * stopper waits for the instance to go quiet, not for the pid to be gone. Absent from older gateways.
   */
  readonly hosted?: boolean;
}

/** The identity a hello names (pid, start time, and start ticks where it sends them). */
export function helloIdentity(reply: HelloReply): ProcessIdentity {
  const { pid, startTime, startTicks } = reply;
  return startTicks === undefined ? { pid, startTime } : { pid, startTime, startTicks };
}

export interface WorkerProbe {
  readonly pid: number | null;
  /** The worker answered a ping over IPC within the probe timeout. */
  readonly responsive: boolean;
  readonly latencyMs: number | null;
}

export interface StatusReply extends HelloReply {
  readonly startedAt: string;
  readonly apiUrl: string | null;
  readonly worker: WorkerProbe;
  /** The warm standby worker (config `supervisor.standby`), booting or ready; absent from older monitors. */
  readonly standby?: { readonly pid: number; readonly ready: boolean } | null;
  readonly restarts: number;
  readonly detached: boolean;
  readonly lastCrash: { readonly reason: string; readonly code: number | null; readonly signal: string | null; readonly at: string } | null;
  /** Windows: whether the monitor sits in a job object (breakaway refused) and may die with it. */
  readonly job: 'none' | 'in-job' | 'unknown' | 'n/a';
  /** While the crash-loop breaker holds respawns back: until when. */
  readonly breakerUntil: string | null;
  /** The serving worker's store is failing (read-only, disk full, locked): POSTs answer 503 with this code. */
  readonly store?: StoreFailure | null;
}

export type RestartReply =
  | { readonly kind: 'worker'; readonly ok: boolean; readonly oldWorkerPid: number | null; readonly newWorkerPid: number | null; readonly reason: string | null }
  | { readonly kind: 'full'; readonly via: 'watcher' | 'service-manager' | 'host' }
  /** A full restart refused before anything stopped (a config.json that does not validate). */
  | { readonly kind: 'full-refused'; readonly reason: string };

/**
 * What became of a `send`. `retry`: nothing is known to be stored (no worker serves, it is stopping,
 * its store refuses writes, or it died before it answered): send again with the same key, which
 * makes it a replay if it was stored after all. `refused`: the input or the key's use is wrong, and
 * sending again will not change that.
 */
export type SendReply =
  | { readonly outcome: 'accepted'; readonly messageId: string; readonly replayed: boolean; readonly apiUrl: string | null }
  | { readonly outcome: 'retry' | 'refused'; readonly code: string; readonly message: string };

export interface StopReply {
  readonly accepted: boolean;
  readonly timeoutMs: number;
}

export type ControlReply =
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

export const MAX_CONTROL_LINE_BYTES = 64 * 1024;
