// Scrape /metrics and parse it with a real Prometheus text-format parser, then hold it to the
// conventions the README promises: every family typed, numbers only, counters end in _total,
// no family twice, gatehouse_ prefix, histograms cumulative with +Inf equal to the count.
// parse-prometheus-text-format (1.1.1) merges the buckets of a histogram's label sets into one and
// drops their _sum and _count (its issue #13): its histograms are read again from a second parse of
// the same text in which they are declared untyped, so each _bucket/_sum/_count line comes back
// with its own labels, and are regrouped per label set.
import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { createRequire } from 'node:module';

interface ParsedMetric {
  readonly value?: string;
  readonly labels?: Record<string, string>;
  readonly buckets?: Record<string, string>;
  readonly count?: string;
  readonly sum?: string;
}
export interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly metrics: readonly ParsedMetric[];
}

const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => ParsedFamily[];

export interface Scrape {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly families: ParsedFamily[];
}

/** A histogram's series, one per label set (its `le` taken out into buckets). */
function histogramMetrics(untyped: readonly ParsedFamily[], name: string): ParsedMetric[] {
  const series = new Map<string, { labels: Record<string, string>; buckets: Record<string, string>; count?: string; sum?: string }>();
  const entry = (labels: Record<string, string> = {}): { labels: Record<string, string>; buckets: Record<string, string>; count?: string; sum?: string } => {
    const { le: _le, ...rest } = labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let found = series.get(key);
    if (found === undefined) {
      found = { labels: rest, buckets: {} };
      series.set(key, found);
    }
    return found;
  };
  const samples = (suffix: string): readonly ParsedMetric[] => untyped.find((f) => f.name === `${name}${suffix}`)?.metrics ?? [];
  for (const m of samples('_bucket')) entry(m.labels).buckets[m.labels?.le ?? '?'] = m.value ?? '';
  for (const m of samples('_sum')) entry(m.labels).sum = m.value;
  for (const m of samples('_count')) entry(m.labels).count = m.value;
  return [...series.values()].map((s) => ({ ...(Object.keys(s.labels).length === 0 ? {} : { labels: s.labels }), buckets: s.buckets, count: s.count, sum: s.sum }));
}

/** Parse, with every histogram read per label set (see the header). */
function parseExposition(text: string): ParsedFamily[] {
  const families = parsePrometheus(text);
  const histograms = families.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name);
  if (histograms.length === 0) return families;
  const untyped = parsePrometheus(histograms.reduce((t, name) => t.replace(`# TYPE ${name} histogram\n`, `# TYPE ${name} untyped\n`), text));
  return families.map((f) => (f.type === 'HISTOGRAM' ? { ...f, metrics: histogramMetrics(untyped, f.name) } : f));
}

function checkHistogram(family: ParsedFamily, metric: ParsedMetric): void {
  const buckets = Object.entries(metric.buckets ?? {}).map(([le, n]) => [le === '+Inf' ? Infinity : Number(le), Number(n)] as const).sort((a, b) => a[0] - b[0]);
  assert.ok(buckets.length > 0 && buckets.at(-1)?.[0] === Infinity, `${family.name}: no +Inf bucket: ${JSON.stringify(metric)}`);
  buckets.forEach(([, n], i) => assert.ok(i === 0 || n >= (buckets[i - 1]?.[1] ?? 0), `${family.name}: buckets not cumulative: ${JSON.stringify(metric)}`));
  assert.equal(buckets.at(-1)?.[1], Number(metric.count), `${family.name}: +Inf bucket differs from _count: ${JSON.stringify(metric)}`);
}

function checkConventions(text: string, families: readonly ParsedFamily[]): void {
  const typeLines = text.split('\n').filter((line) => line.startsWith('# TYPE '));
  assert.equal(new Set(typeLines.map((l) => l.split(' ')[2])).size, typeLines.length, `a family is declared twice:\n${text}`);
  for (const family of families) {
    assert.match(family.name, /^gatehouse_[a-z_]+$/, `name ${family.name}`);
    assert.notEqual(family.type, 'UNTYPED', `${family.name} has no TYPE line`);
    assert.ok(family.help.length > 0, `${family.name} has no HELP`);
    if (family.type === 'COUNTER') assert.match(family.name, /_total$/, `counter ${family.name} must end in _total`);
    for (const metric of family.metrics) {
      const numbers = family.type === 'HISTOGRAM' ? [metric.count, metric.sum, ...Object.values(metric.buckets ?? {})] : [metric.value];
      for (const n of numbers) assert.ok(n !== undefined && n !== '' && !Number.isNaN(Number(n)), `${family.name}: ${JSON.stringify(metric)}`);
      if (family.type === 'HISTOGRAM') checkHistogram(family, metric);
    }
  }
}

/** GET on a fresh connection (agent: false): a pooled one may belong to a worker the test just killed. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; contentType: string | null; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers, agent: false, timeout: 10_000 }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'] ?? null, text }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

export async function scrape(apiUrl: string, token: string | null): Promise<Scrape> {
  const response = await get(`${apiUrl}/metrics`, token === null ? {} : { authorization: `Bearer ${token}` });
  const families = response.status === 200 ? parseExposition(response.text) : [];
  if (response.status === 200) checkConventions(response.text, families);
  return { ...response, families };
}

/** The value of the series of `name` whose labels include `labels`; histograms give their count. */
export function metricValue(families: readonly ParsedFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const metric = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (metric === undefined) return undefined;
  return Number(family?.type === 'HISTOGRAM' ? metric.count : metric.value);
}
