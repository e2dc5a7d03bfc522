// The worker's /metrics: its own counters and latency histograms, the store's message counts, what
// each channel registers, and the monitor's figures (asked over IPC at each scrape, so restarts and
// the breaker are counted by the process that outlives the workers).
import { performance } from 'node:perf_hooks';
import { Histogram, ownUsage, processFamilies, renderMetrics, type MetricFamily, type ProcessUsage } from '../runtime/metrics-text.js';
import { monitorFamilies, type MonitorStats } from '../runtime/monitor-metrics.js';
import type { DispatchEvent } from './dispatcher.js';

/** Anything that adds families at scrape time (the store's counts, a channel's outbox). */
export type MetricsCollector = () => MetricFamily[];

export class GatewayMetrics {
  private readonly finished = new Map<string, number>();
  /** When the agent began on each message still open (its first `working` event). */
  private readonly began = new Map<string, number>();
  readonly agentLatency = new Histogram('gatehouse_agent_latency_seconds', 'Time from a message being taken up to its reply (or failure) being stored.');
  private readonly collectors: MetricsCollector[] = [];

  /** Follow the dispatcher (subscribe this): a message's first `working` starts its clock, `settled` stops it. */
  onDispatch(event: DispatchEvent, now = performance.now()): void {
    if (event.type === 'working') {
      if (!this.began.has(event.messageId)) this.began.set(event.messageId, now);
      return;
    }
    this.finished.set(event.status, (this.finished.get(event.status) ?? 0) + 1);
    const began = this.began.get(event.messageId);
    this.began.delete(event.messageId);
    // A `/new` is settled without the agent: no latency to observe.
    if (began !== undefined) this.agentLatency.observe((now - began) / 1000);
  }

  register(collector: MetricsCollector): void {
    this.collectors.push(collector);
  }

  /** The whole exposition; monitor is null when the monitor did not answer in time. */
  render(monitor: MonitorStats | null): string {
    const usages: ProcessUsage[] = [ownUsage('worker'), ...(monitor === null ? [] : [monitor.usage])];
    const families: MetricFamily[] = [
      ...(monitor === null ? [] : monitorFamilies(monitor)),
      { name: 'gatehouse_monitor_stats_available', help: '1 when the monitor answered the scrape\'s request for its figures.', type: 'gauge', samples: [{ value: monitor === null ? 0 : 1 }] },
      {
        name: 'gatehouse_messages_finished_total', help: 'Messages this worker closed, by outcome (resets when the worker is replaced).', type: 'counter',
        samples: ['done', 'failed'].map((outcome) => ({ labels: { outcome }, value: this.finished.get(outcome) ?? 0 })),
      },
      this.agentLatency.family(),
      ...this.collectors.flatMap((collect) => collect()),
      ...processFamilies(usages),
    ];
    return renderMetrics(families);
  }
}
