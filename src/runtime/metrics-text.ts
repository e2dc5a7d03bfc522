// The Prometheus text exposition format (version 0.0.4), written by hand: the monitor must answer
// /metrics while no worker runs, and both processes are measured for footprint and restart speed.
// prom-client costs about 22 MB of RSS and 150 ms of load time here for what is ~100 lines; the
// tests parse every scrape with a well-kept parser (parse-prometheus-text-format).

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Appended to the family name: '_bucket', '_sum', '_count' for histograms, '' otherwise. */
  readonly suffix?: string;
  readonly labels?: Labels;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Latency buckets in seconds: from a fast echo (ms) to a slow local model (minutes). */
export const LATENCY_BUCKETS_S: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
}

function escapeHelp(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
}

/** Render families as one exposition; a family with no samples is left out (no empty TYPE lines). */
export function renderMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(`${family.name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A histogram with fixed buckets, one series per label set. */
export class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(readonly name: string, readonly help: string, private readonly buckets: readonly number[] = LATENCY_BUCKETS_S) {}

  observe(value: number, labels: Labels = {}): void {
    const key = JSON.stringify(labels);
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    this.buckets.forEach((bound, index) => { if (value <= bound) entry.counts[index] = (entry.counts[index] ?? 0) + 1; });
    entry.sum += value;
    entry.count += 1;
  }

  family(): MetricFamily {
    const samples: Sample[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, index) => samples.push({ suffix: '_bucket', labels: { ...labels, le: String(bound) }, value: counts[index] ?? 0 }));
      samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: count });
      samples.push({ suffix: '_sum', labels, value: sum }, { suffix: '_count', labels, value: count });
    }
    return { name: this.name, help: this.help, type: 'histogram', samples };
  }
}

export interface ProcessUsage {
  readonly role: 'monitor' | 'worker';
  readonly rssBytes: number;
  readonly cpuSeconds: number;
}

/** This process's resident memory and CPU time (user + system). */
export function ownUsage(role: ProcessUsage['role']): ProcessUsage {
  const cpu = process.cpuUsage();
  return { role, rssBytes: process.memoryUsage.rss(), cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Memory and CPU of the gateway's processes, one series each, labelled by role. */
export function processFamilies(usages: readonly ProcessUsage[]): MetricFamily[] {
  return [
    {
      name: 'gatehouse_process_resident_memory_bytes', help: 'Resident memory of a gateway process.', type: 'gauge',
      samples: usages.map((u) => ({ labels: { process: u.role }, value: u.rssBytes })),
    },
    {
      name: 'gatehouse_process_cpu_seconds_total', help: 'User and system CPU time of a gateway process.', type: 'counter',
      samples: usages.map((u) => ({ labels: { process: u.role }, value: u.cpuSeconds })),
    },
  ];
}
