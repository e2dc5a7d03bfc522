// The status of a gateway that answered on its control endpoint and proved the token: all of it
// comes from that answer (and the channels' own records). The PID file, the state file and the
// lifecycle log speak only for a gateway that does not answer (status.ts): a plain `status` of a
// running gateway, what scripts call in loops, loads this module and not the readers of those.
import { readChannelsFile } from '../channels/status-file.js';
import type { SnapshotRead } from '../channels/telegram/status-read.js';
import type { ControlResult } from '../runtime/control-client.js';
import type { HelloReply, StatusReply } from '../runtime/protocol.js';
import type { ProfilePaths } from '../paths.js';
import { channelProbes, withRunning } from './channel-status.js';
import type { Probe } from './probes.js';
import type { GatewayStatus, ServiceInfo } from './status.js';

type Base = Pick<GatewayStatus, 'profile' | 'service' | 'probes'>;

/** What a proven hello and its status reply say (a worker that does not answer the monitor: wedged). */
export function answeringSummary(base: Base, hello: HelloReply, status: ControlResult<StatusReply> | null): Omit<GatewayStatus, 'channels'> {
  const s = status?.ok ? status.data : null;
  const workerDown = s !== null && s.state === 'running' && !s.worker.responsive;
  return {
    ...base,
    running: !workerDown,
    pid: hello.pid,
    state: workerDown ? 'wedged' : hello.state,
    instance: hello.instance,
    startedAt: s?.startedAt ?? null,
    api: { url: s?.apiUrl ?? null },
    worker: s === null ? null : { pid: s.worker.pid, responsive: s.worker.responsive },
    standby: s?.standby ?? null,
    restarts: s?.restarts ?? null,
    reason: !workerDown ? null : s.breakerUntil !== null
      ? `the worker keeps crashing (${s.lastCrash?.reason ?? 'unknown'}); the breaker holds respawns until ${s.breakerUntil}`
      : 'the worker does not answer the monitor',
  };
}

/** The gateway's status with its chat channels (and, with probes, theirs). */
export function withChannels(gateway: Omit<GatewayStatus, 'channels'>, read: SnapshotRead, withProbes: boolean): GatewayStatus {
  const channels = withRunning(read, gateway.running);
  return {
    ...gateway,
    channels: channels.ok ? channels.channels : [],
    ...(withProbes ? { probes: [...(gateway.probes ?? []), ...channelProbes(channels, gateway.running)] } : {}),
  };
}

/** The plain status (no probes) of a gateway whose hello proved the token. */
export function answeringStatus(paths: ProfilePaths, service: ServiceInfo, hello: HelloReply, status: ControlResult<StatusReply> | null): GatewayStatus {
  return withChannels(answeringSummary({ profile: paths.profile, service }, hello, status), readChannelsFile(paths.dir), false);
}
