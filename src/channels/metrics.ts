// The chat channels' part of /metrics, one series per channel (label `channel`): outbox depth and
// dead letters and the last successful poll come from the channel's tables at scrape time (so they
// hold across worker restarts); delivery latency is observed by this worker's senders.
import { Histogram, type MetricFamily } from '../runtime/metrics-text.js';
import type { ChannelSnapshot } from './telegram/status-read.js';

/** Every state a channel reports, so each gets a 0/1 series (an enum as Prometheus models one). */
export const CHANNEL_STATES: readonly string[] = ['starting', 'polling', 'conflict', 'failed', 'stopped'];

export function deliveryLatencyHistogram(): Histogram {
  return new Histogram('gatehouse_channel_delivery_latency_seconds', 'Time from a reply part entering the outbox to the platform confirming it (budget waits and retries included).');
}

function perChannel(snapshots: readonly ChannelSnapshot[], value: (s: ChannelSnapshot) => number | null): Array<{ labels: { channel: string }; value: number }> {
  return snapshots.flatMap((s) => {
    const v = value(s);
    return v === null ? [] : [{ labels: { channel: s.name }, value: v }];
  });
}

export function channelFamilies(snapshots: readonly ChannelSnapshot[], deliveryLatency: Histogram): MetricFamily[] {
  return [
    { name: 'gatehouse_channel_outbox_depth', help: 'Reply parts waiting to be delivered (pending or being sent).', type: 'gauge', samples: perChannel(snapshots, (s) => s.outbox.pending) },
    { name: 'gatehouse_channel_dead_letters', help: 'Reply parts stored as dead letters (refused by the platform, or outcome unknown twice).', type: 'gauge', samples: perChannel(snapshots, (s) => s.deadLetters.count) },
    {
      name: 'gatehouse_channel_last_poll_success_timestamp_seconds', help: 'When the channel last polled its platform successfully, seconds since the epoch (absent: never).', type: 'gauge',
      samples: perChannel(snapshots, (s) => (s.lastPollAt === null ? null : Date.parse(s.lastPollAt) / 1000)),
    },
    {
      name: 'gatehouse_channel_state', help: '1 for the state the channel is in, 0 for the others.', type: 'gauge',
      samples: snapshots.flatMap((s) => CHANNEL_STATES.map((state) => ({ labels: { channel: s.name, state }, value: s.state === state ? 1 : 0 }))),
    },
    deliveryLatency.family(),
  ];
}
