// What the monitor says about itself, from one set of facts: the control endpoint's `hello` and
// `status` replies, and the state file (for `status` to compare with what answers, and for tools
// that cannot speak the control protocol).
import { isSupervised } from '../env.js';
import { VERSION } from '../version.js';
import type { HelloReply, SendReply, StatusReply } from './protocol.js';
import { writeStateFile, type GatewayState } from './state-file.js';
import type { WorkerSupervisor } from './supervisor.js';
import type { RelayOutcome } from './worker-handle.js';
import type { MonitorContext, MonitorIdentity } from './monitor-types.js';

/** What changes over the monitor's life: its state, why it is in it, and the API's address. */
export interface MonitorNow {
  readonly state: GatewayState;
  readonly reason: string | null;
  readonly apiUrl: string | null;
}

export function helloReply(ctx: MonitorContext, who: MonitorIdentity, state: GatewayState): HelloReply {
  const { self } = who;
  return {
    instance: ctx.instance, pid: self.pid, startTime: self.startTime, startTicks: self.startTicks, profile: ctx.paths.profile,
    version: VERSION, state, supervised: isSupervised(), hosted: ctx.host !== undefined,
  };
}

/** The hello reply and the workers' news; the worker is pinged, and the rest read once it answered. */
export async function statusReply(hello: HelloReply, who: MonitorIdentity, apiUrl: string | null, supervisor: WorkerSupervisor): Promise<StatusReply> {
  return {
    ...hello,
    startedAt: who.startedAt,
    apiUrl,
    worker: await supervisor.ping(),
    standby: standbyStatus(supervisor),
    restarts: supervisor.restarts,
    detached: who.detached,
    lastCrash: supervisor.lastCrash,
    job: who.job,
    breakerUntil: supervisor.breakerUntil === null ? null : new Date(supervisor.breakerUntil).toISOString(),
    store: supervisor.storeFailure,
  };
}

/** The control endpoint's answer to a `send`, from what the worker made of it. */
export function sendReply(outcome: RelayOutcome, apiUrl: string | null): SendReply {
  switch (outcome.kind) {
    case 'accepted': return { outcome: 'accepted', messageId: outcome.messageId, replayed: outcome.replayed, apiUrl };
    case 'draining': return { outcome: 'retry', code: 'draining', message: 'the gateway is stopping or handing over to a new worker' };
    case 'store': return { outcome: 'retry', code: outcome.failure.code, message: outcome.failure.message };
    case 'unavailable': return { outcome: 'retry', code: 'unavailable', message: outcome.reason };
    case 'key_reused': return { outcome: 'refused', code: 'idempotency_key_reused', message: outcome.message };
    case 'refused': return { outcome: 'refused', code: outcome.error.code, message: outcome.error.message };
  }
}

function standbyStatus(supervisor: WorkerSupervisor): { pid: number; ready: boolean } | null {
  const standby = supervisor.standbyWorker;
  return standby === null ? null : { pid: standby.pid, ready: standby.ready };
}

export function writeMonitorState(ctx: MonitorContext, who: MonitorIdentity, now: MonitorNow, supervisor: WorkerSupervisor): void {
  const { self } = who;
  writeStateFile(ctx.paths.stateFile, {
    state: now.state, pid: self.pid, startTime: self.startTime, instance: ctx.instance,
    startedAt: who.startedAt, updatedAt: new Date().toISOString(), api: now.apiUrl === null ? null : { url: now.apiUrl },
    worker: supervisor.worker, standby: supervisor.standbyWorker, reason: now.reason, restarts: supervisor.restarts, lastWorkerExit: supervisor.lastExit,
    detached: who.detached,
  });
}
