// `gatehouse status`: what is true about a profile's gateway, from independent signals (control
// endpoint, PID file + OS identity, state file, lifecycle log), and with --deep which one disagrees.
import { readPidFile } from '../runtime/pid-file.js';
import { lastLifeEnd, LifecycleLog } from '../runtime/lifecycle-log.js';
import { readStateFile } from '../runtime/state-file.js';
import type { ProfilePaths } from '../paths.js';
import { askStatus, controlTarget, type ControlResult, type GatewayAnswer } from '../runtime/control-client.js';
import type { HelloReply, StatusReply } from '../runtime/protocol.js';
import type { Probe } from './probes.js';
import { describeDiscovered, type Discovery } from './discovered.js';
import type { SnapshotRead } from '../channels/telegram/status-read.js';
import { readChannelsFile } from '../channels/status-file.js';
import type { ChannelStatus } from './channel-status.js';
import { answeringSummary, withChannels } from './status-answering.js';
import type { UnprovenOwner } from './endpoint-owner.js';
import type { AlertsStatus } from './alert-probe.js';

/** How far back the lifecycle log is read for the last life's end (status and the watchdog alike). */
export const LIFE_END_EVENTS = 200;

/** `blocked`: not running, and a process that cannot prove it is ours holds the control endpoint. */
export type ObservedState = 'starting' | 'running' | 'draining' | 'stopped' | 'crashed' | 'wedged' | 'blocked';

export interface ServiceInfo {
  readonly kind: string | null;
  readonly installed: boolean;
  readonly enabled: boolean;
}

export interface GatewayStatus {
  readonly profile: string;
  readonly running: boolean;
  readonly pid: number | null;
  readonly state: ObservedState;
  readonly instance: string | null;
  readonly startedAt: string | null;
  readonly api: { readonly url: string | null };
  readonly service: ServiceInfo;
  readonly worker: { readonly pid: number | null; readonly responsive: boolean } | null;
  /** The warm standby worker, when the running monitor keeps one (booting or ready). */
  readonly standby?: { readonly pid: number; readonly ready: boolean } | null;
  readonly restarts: number | null;
  /** Every monitor found by command line, oldest first, when there is more than one (pid is the oldest). */
  readonly pids?: readonly number[];
  /** Why the state is what it is, when a reason is known. */
  readonly reason: string | null;
  /** Chat channels (Telegram bots), from the profile's database. */
  readonly channels: readonly ChannelStatus[];
  readonly probes?: readonly Probe[];
  /** With --deep: whether alerts are configured, where they go (origin only), the last sent and delivered. */
  readonly alerts?: AlertsStatus;
}

/** Everything status looks at, gathered once; probes and the summary are derived from it. */
export interface Observations {
  readonly paths: ProfilePaths;
  readonly hello: ControlResult<HelloReply>;
  readonly status: ControlResult<StatusReply> | null;
  /** Who holds the endpoint, when it answered without proving the token (hello 'unproven'). */
  readonly owner: UnprovenOwner | null;
  readonly pidFile: ReturnType<typeof readPidFile>;
  /**
   * The PID file names a live process that is still the one that wrote it (pid and start time).
   * Asked of the OS only when the control endpoint did not answer: false when it did.
   */
  readonly pidFileHolds: boolean;
  readonly stateFile: ReturnType<typeof readStateFile>;
  readonly lifecycle: LifecycleLog;
  /** Looked for by command line only when neither the control endpoint nor the PID file found it. */
  readonly discovery: Discovery | null;
  /** The chat channels' own records in the session database. */
  readonly channels: SnapshotRead;
}

// What only a gateway that does not answer needs (the OS's word on the PID file, who squats the
// endpoint, a gateway lost but for its command line) is imported when it is needed: a plain
// `status` of a running gateway loads none of it, nor the process layer (test/e2e/lean-modules.test.ts).
/** `asked`: the control endpoint's answer when the caller asked it already (status-command.ts does, while it loads the rest). */
export async function observe(paths: ProfilePaths, asked: Promise<GatewayAnswer> = askStatus(controlTarget(paths))): Promise<Observations> {
  const { hello: helloResult, status } = await asked;
  const owner = !helloResult.ok && helloResult.kind === 'unproven' ? (await import('./endpoint-owner.js')).explainUnproven(paths, helloResult.claim) : null;
  const pidFile = readPidFile(paths.pidFile);
  const pidFileHolds = !helloResult.ok && pidFile.kind === 'ok' && (await import('../platform/index.js')).platform.matchesIdentity(pidFile.value);
  return {
    paths, hello: helloResult, status, owner, pidFile, pidFileHolds, stateFile: readStateFile(paths.stateFile),
    lifecycle: new LifecycleLog(paths.lifecycleLog),
    discovery: helloResult.ok || pidFileHolds ? null : (await import('./discover.js')).discoverMonitors(paths),
    channels: readChannelsFile(paths.dir),
  };
}

function notRunningState(o: Observations): { state: ObservedState; reason: string | null } {
  const state = o.stateFile.kind === 'ok' ? o.stateFile.value : null;
  const end = lastLifeEnd(o.lifecycle.tail(LIFE_END_EVENTS));
  if (end.kind === 'unclean') return { state: 'crashed', reason: `pid ${end.start.pid} ended without a clean exit` };
  if (state !== null && (state.state === 'running' || state.state === 'draining' || state.state === 'starting')) {
    return { state: 'crashed', reason: `the state file says ${state.state} but pid ${state.pid} is gone` };
  }
  return { state: 'stopped', reason: state?.reason ?? null };
}

/** The status; `probes` (--deep: probes.ts deepProbes of the same observations) or null. */
export function summarize(o: Observations, service: ServiceInfo, probes: readonly Probe[] | null): GatewayStatus {
  return withChannels(summarizeGateway(o, service, probes), o.channels, probes !== null);
}

function summarizeGateway(o: Observations, service: ServiceInfo, probes: readonly Probe[] | null): Omit<GatewayStatus, 'channels'> {
  const base = { profile: o.paths.profile, service, ...(probes !== null ? { probes } : {}) };
  if (!o.hello.ok && o.hello.kind === 'unproven' && o.owner !== null) {
    const owner = o.owner;
    const none = { instance: null, startedAt: null, api: { url: null }, worker: null, restarts: null, reason: owner.message };
    // Ours with an older token: running, but beyond control until restarted. Foreign: believe nothing it says.
    if (owner.kind === 'token-mismatch') return { ...base, ...none, running: true, pid: owner.pid, state: 'running', instance: o.hello.claim?.instance ?? null };
    return { ...base, ...none, running: false, pid: null, state: 'blocked' };
  }
  if (o.hello.ok) return answeringSummary(base, o.hello.data, o.status);
  const record = o.pidFile.kind === 'ok' ? o.pidFile.value : null;
  if (record !== null && o.pidFileHolds) {
    // Alive and still the recorded process, but the control endpoint does not answer.
    return {
      ...base, running: false, pid: record.pid, state: 'wedged', instance: record.instance, startedAt: null,
      api: { url: null }, worker: null, restarts: null,
      reason: o.hello.kind === 'timeout' ? 'the control endpoint accepts but does not answer' : 'the process is alive but its control endpoint is gone',
    };
  }
  const discovered = o.discovery?.kind === 'found' ? o.discovery.monitors[0] : undefined;
  if (discovered !== undefined && o.discovery?.kind === 'found') {
    // Alive, but neither its control endpoint nor its PID file speaks for it: found by command line.
    const pidFile = o.pidFile.kind === 'missing' ? 'no PID file' : o.pidFile.kind === 'invalid' ? 'an unreadable PID file' : 'a stale PID file';
    const control = o.hello.kind === 'timeout' ? 'a control endpoint that accepts but does not answer' : 'no control endpoint';
    const { monitors, source } = o.discovery;
    const found = monitors.length === 1
      ? describeDiscovered(discovered, source)
      : `${monitors.length} monitors of this profile and home: ${monitors.map((m) => describeDiscovered(m, source)).join('; ')}`;
    return {
      ...base, running: false, pid: discovered.identity.pid, state: 'wedged', instance: null, startedAt: null,
      api: { url: null }, worker: null, restarts: null,
      ...(monitors.length > 1 ? { pids: monitors.map((m) => m.identity.pid) } : {}),
      reason: `${pidFile} and ${control}; ${found}`,
    };
  }
  const { state, reason } = notRunningState(o);
  return { ...base, running: false, pid: null, state, instance: null, startedAt: null, api: { url: null }, worker: null, restarts: null, reason };
}
