// The chat channels of a worker, started and stopped together. Each channel lives entirely in
// the worker (the monitor never loads any of this), and a channel's code is loaded only when one
// is configured: the Telegram client is the biggest part of the worker's boot, before its first
// answer, and a gateway without chat channels has no use for it.
import type { Logger } from '../runtime/json-log.js';
import type { Dispatcher } from '../gateway/dispatcher.js';
import type { SessionStore } from '../gateway/store.js';
import type { AlertSink, TelegramChannel } from './telegram/channel.js';
import { channelName } from './telegram/channel-name.js';
import type { TelegramChannelConfig } from './telegram/config.js';
import { writeJsonFile } from '../fs-util.js';
import { channelsFilePath } from './status-file.js';
import { channelSnapshots } from './telegram/status-read.js';
import { pruneChannelStates } from './telegram/tables.js';
import { channelFamilies, deliveryLatencyHistogram } from './metrics.js';
import type { MetricFamily } from '../runtime/metrics-text.js';

/** channels.json is rewritten at most this often (and at every state change). */
const STATUS_WRITE_MS = 1_000;
const STATUS_CHECK_MS = 100;
/** At the end of a drain, the outbox gets at least this long even when the dispatcher used the whole deadline. */
export const MIN_FLUSH_MS = 1_000;

export interface ChannelsDeps {
  readonly profileDir: string;
  readonly store: SessionStore;
  readonly dispatcher: Dispatcher;
  readonly log: Logger;
  readonly statusText: () => string;
  readonly requestRestart: (full: boolean) => void;
  readonly alerts?: AlertSink;
  /** alerts.pollStaleAfterMs: a channel with no completed poll for this long is an incident. */
  readonly pollStaleAfterMs?: number;
}

export class Channels {
  private readonly channels: TelegramChannel[];
  private statusTimer: NodeJS.Timeout | null = null;
  private lastStates = '';
  private readonly deliveryLatency = deliveryLatencyHistogram();

  /** The configured channels (none: nothing loaded); states of channels no longer configured are pruned. */
  static async open(configs: readonly TelegramChannelConfig[], deps: ChannelsDeps): Promise<Channels> {
    const telegram = configs.length === 0 ? null : (await import('./telegram/channel.js')).TelegramChannel;
    return new Channels(configs, deps, telegram);
  }

  private constructor(configs: readonly TelegramChannelConfig[], private readonly deps: ChannelsDeps, Telegram: typeof TelegramChannel | null) {
    const names = configs.map(channelName);
    pruneChannelStates(deps.store.database, names);
    this.channels = Telegram === null ? [] : configs.map((config, i) => new Telegram(config, {
      name: names[i]!, profileDir: deps.profileDir, store: deps.store, dispatcher: deps.dispatcher, log: deps.log,
      commands: { statusText: deps.statusText, requestRestart: deps.requestRestart }, alerts: deps.alerts,
      onDelivered: (latencyMs) => this.deliveryLatency.observe(latencyMs / 1000, { channel: names[i]! }),
      pollStaleAfterMs: deps.pollStaleAfterMs,
    }));
  }

  /** The channels' series for /metrics (register this with the worker's GatewayMetrics). */
  metricFamilies(): MetricFamily[] {
    if (this.channels.length === 0) return [];
    return channelFamilies(channelSnapshots(this.deps.store.database), this.deliveryLatency);
  }

  /** Rewrite channels.json now (a state change) or when a second has passed. */
  private writeStatus(force: boolean): void {
    if (this.channels.length === 0) return;
    const states = this.channels.map((c) => c.stateName).join(',');
    if (!force && states === this.lastStates && this.statusTimer !== null) return;
    this.lastStates = states;
    try {
      writeJsonFile(channelsFilePath(this.deps.profileDir), { writtenAt: new Date().toISOString(), workerPid: process.pid, channels: channelSnapshots(this.deps.store.database) });
    } catch (error) {
      this.deps.log.warn(`could not write ${channelsFilePath(this.deps.profileDir)}: ${String(error)}`);
    }
  }

  get count(): number {
    return this.channels.length;
  }

  /** Once no other worker is alive (the monitor's `resume`): poll and send. */
  start(): void {
    for (const channel of this.channels) void channel.start();
    if (this.channels.length === 0) return;
    let ticks = 0;
    this.statusTimer = setInterval(() => {
      ticks += 1;
      // Every 100 ms for a state change, every second regardless.
      this.writeStatus(ticks % (STATUS_WRITE_MS / STATUS_CHECK_MS) === 0);
    }, STATUS_CHECK_MS);
    this.statusTimer.unref();
  }

  async stopPolling(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.stopPolling()));
  }

  async flushAndClose(deadline: number): Promise<void> {
    const until = Math.max(deadline, Date.now() + MIN_FLUSH_MS);
    await Promise.all(this.channels.map((c) => c.flush(until)));
    await Promise.all(this.channels.map((c) => c.close()));
    if (this.statusTimer !== null) clearInterval(this.statusTimer);
    this.writeStatus(true);
  }
}

/** /status: the gateway as this worker sees it, and each channel as its tables say. */
export function gatewayStatusText(store: SessionStore, inFlight: number, startedAt: number): string {
  const lines = [`Gatehouse is running: worker pid ${process.pid}, up ${Math.round((Date.now() - startedAt) / 1000)} s, ${inFlight} message(s) being answered.`];
  for (const c of channelSnapshots(store.database)) {
    const lag = c.pollLagMs === null ? 'never polled' : `last poll ${Math.round(c.pollLagMs / 1000)} s ago`;
    lines.push(`${c.name}${c.username === null ? '' : ` @${c.username}`}: ${c.state}, ${lag}; outbox ${c.outbox.pending} pending, ${c.deadLetters.count} dead letter(s), ${c.outbox.possibleDuplicates} possible duplicate(s); ${c.updates.unknownSenders} from unknown senders, ${c.updates.skippedOld} skipped as too old.`);
  }
  return lines.join('\n');
}
