// The benchmark's pure measurement code: classify request outcomes, find the longest interval
// without a successful answer, the time until the service answered again after an event, and
// render the results table. No I/O here, so test/bench/ can check it with made-up timelines.

/** How one request ended. Times are ms on a clock shared by the processes of one machine. */
export interface Sample {
  /** When the request was sent. */
  readonly start: number;
  /** When the answer (or the error) arrived. */
  readonly end: number;
  readonly route: 'healthz' | 'message';
  /** HTTP status, or null when there was no answer (refused, reset, timeout). */
  readonly status: number | null;
  /** Error code when there was no answer: ECONNREFUSED, ECONNRESET, EPIPE, TIMEOUT, ... */
  readonly error: string | null;
  /** The pid that answered /healthz (the worker or app process), when the body said so. */
  readonly servedBy: number | null;
}

export type Outcome = 'ok' | 'refused' | 'reset' | 'timeout' | 'http503' | 'http5xx' | 'other';

/** A success is the answer the route gives when all is well: 200 for /healthz, 202 for a message. */
export function classify(sample: Sample): Outcome {
  if (sample.status !== null) {
    if (sample.route === 'healthz' && sample.status === 200) return 'ok';
    if (sample.route === 'message' && sample.status === 202) return 'ok';
    if (sample.status === 503) return 'http503';
    if (sample.status >= 500) return 'http5xx';
    return 'other';
  }
  switch (sample.error) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'HPE_INVALID_CONSTANT':
      return 'reset';
    case 'TIMEOUT':
      return 'timeout';
    default:
      return 'other';
  }
}

/** A post-event stall no longer than this (and than twice the pre-event one) is not an interruption. */
export const STALL_FLOOR_MS = 50;

export interface Gap {
  readonly from: number;
  readonly to: number;
  readonly ms: number;
}

/**
 * The longest interval in [windowStart, windowEnd] with no successful answer. Successes are taken
 * at the time their answer arrived; the window edges count as boundaries, so a service that never
 * answered has one gap as long as the window.
 */
export function longestGap(successEnds: readonly number[], windowStart: number, windowEnd: number): Gap {
  const points = successEnds.filter((t) => t >= windowStart && t <= windowEnd).sort((a, b) => a - b);
  let best: Gap = { from: windowStart, to: windowStart, ms: 0 };
  let previous = windowStart;
  for (const t of [...points, windowEnd]) {
    if (t - previous > best.ms) best = { from: previous, to: t, ms: t - previous };
    previous = t;
  }
  return best;
}

export interface ScenarioMetrics {
  readonly requests: number;
  /** Every request that did not get its success answer (503s included). */
  readonly failed: number;
  readonly http503: number;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  /** The longest interval without a successful answer over the whole load window. */
  readonly longestGap: Gap;
  /**
   * From the event to the first successful answer after the disruption it caused: the end of the
   * longest no-success interval that reaches past the event, pushed past the sending of the last
   * request that failed after the event if it came later; 0 when it was not interrupted. null when nothing answered after that.
   */
  readonly answeredAgainMs: number | null;
  /** The longest no-success interval from the event on (what answeredAgainMs is built on). */
  readonly gapAfterEvent: Gap;
  /** The longest no-success interval before the event: the jitter of normal service. */
  readonly baselineGap: Gap;
  /**
   * False when no request failed after the event and no post-event interval without a success was
   * longer than STALL_FLOOR_MS and twice the baseline: then answeredAgainMs is 0 (it kept answering).
   */
  readonly interrupted: boolean;
  /** From the event to the first /healthz answered by a process other than the one serving before it. */
  readonly newProcessAnsweredMs: number | null;
}

const OUTCOMES: readonly Outcome[] = ['ok', 'refused', 'reset', 'timeout', 'http503', 'http5xx', 'other'];

export function computeMetrics(samples: readonly Sample[], event: number, windowStart: number, windowEnd: number): ScenarioMetrics {
  const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const successEnds: number[] = [];
  let lastFailureAfterEvent: number | null = null;
  for (const sample of samples) {
    const outcome = classify(sample);
    byOutcome[outcome] += 1;
    if (outcome === 'ok') successEnds.push(sample.end);
    // A failure that ended after the event belongs to it. It pushes the recovery to the first success
    // after it was *sent*: a request that hung until its timeout does not hide later answers.
    else if (sample.end >= event && (lastFailureAfterEvent === null || sample.start > lastFailureAfterEvent)) lastFailureAfterEvent = sample.start;
  }
  const whole = longestGap(successEnds, windowStart, windowEnd);
  const baseline = longestGap(successEnds, windowStart, event);
  // The interval that contains the event counts from the event on: what came before is not its doing.
  const afterEvent = longestGap(successEnds, event, windowEnd);
  const sorted = successEnds.filter((t) => t >= event).sort((a, b) => a - b);
  // No failure and no stall longer than STALL_FLOOR_MS and twice the longest one before the event:
  // it never stopped.
  const interrupted = lastFailureAfterEvent !== null || afterEvent.ms > Math.max(2 * baseline.ms, STALL_FLOOR_MS);
  let recovered: number | null = afterEvent.to === windowEnd && !sorted.includes(windowEnd) ? null : afterEvent.to;
  if (recovered !== null && lastFailureAfterEvent !== null && lastFailureAfterEvent > recovered) {
    const failure = lastFailureAfterEvent;
    recovered = sorted.find((t) => t > failure) ?? null;
  }
  if (!interrupted) recovered = event;
  return {
    requests: samples.length,
    failed: samples.length - byOutcome.ok,
    http503: byOutcome.http503,
    byOutcome,
    longestGap: whole,
    answeredAgainMs: recovered === null ? null : recovered - event,
    gapAfterEvent: afterEvent,
    baselineGap: baseline,
    interrupted,
    newProcessAnsweredMs: newProcessAnswered(samples, event),
  };
}

/**
 * For a kill: from the event to the first success of a request sent after the event and after the
 * last failed request (one that ended after the event) was sent; with no failure, to the first
 * success after the event when the interval it closes is a stall (longer than STALL_FLOOR_MS and
 * twice baselineMs), else 0. Unlike computeMetrics' answeredAgainMs it looks only at the interval
 * the kill opened, so a later hiccup of a loaded machine is not taken for the recovery. null when
 * nothing answered after it.
 */
export function answeredAgainAfterKill(samples: readonly Sample[], event: number, baselineMs: number): number | null {
  const failedAfter = samples.filter((s) => classify(s) !== 'ok' && s.end >= event);
  const oks = samples.filter((s) => classify(s) === 'ok');
  if (failedAfter.length > 0) {
    const after = Math.max(event, ...failedAfter.map((s) => s.start));
    const ends = oks.filter((s) => s.start >= after).map((s) => s.end);
    return ends.length === 0 ? null : Math.min(...ends) - event;
  }
  const firstAfter = oks.filter((s) => s.end >= event).map((s) => s.end);
  if (firstAfter.length === 0) return null;
  const first = Math.min(...firstAfter);
  const before = oks.filter((s) => s.end < event).map((s) => s.end);
  const stall = first - (before.length === 0 ? event : Math.max(...before));
  return stall > Math.max(2 * baselineMs, STALL_FLOOR_MS) ? first - event : 0;
}

/** From the event to the first /healthz answered by a pid that had not answered before the event. */
export function newProcessAnswered(samples: readonly Sample[], event: number): number | null {
  const answered = samples.filter((s) => s.servedBy !== null && classify(s) === 'ok').sort((a, b) => a.end - b.end);
  const before = new Set(answered.filter((s) => s.end < event).map((s) => s.servedBy));
  if (before.size === 0) return null;
  const first = answered.find((s) => s.end >= event && !before.has(s.servedBy));
  return first === undefined ? null : first.end - event;
}

export interface Row {
  readonly tool: string;
  readonly scenario: string;
  readonly requests: number | null;
  readonly failed: number | null;
  readonly http503: number | null;
  readonly longestGapMs: number | null;
  readonly answeredAgainMs: number | null;
  readonly notes: string;
}

export function rowFromMetrics(tool: string, scenario: string, m: ScenarioMetrics, notes: string[]): Row {
  const breakdown = (['refused', 'reset', 'timeout', 'http5xx', 'other'] as const)
    .filter((o) => m.byOutcome[o] > 0).map((o) => `${m.byOutcome[o]} ${o === 'http5xx' ? 'other 5xx' : o}`);
  const all = [...(breakdown.length > 0 ? [breakdown.join(', ')] : []), ...notes];
  if (!m.interrupted) all.push(`kept answering (longest post-event stall ${fmt(m.gapAfterEvent.ms)} ms vs ${fmt(m.baselineGap.ms)} ms before)`);
  if (m.newProcessAnsweredMs !== null) all.push(`new process answered at +${fmt(m.newProcessAnsweredMs)} ms`);
  return {
    tool, scenario, requests: m.requests, failed: m.failed, http503: m.http503,
    longestGapMs: m.longestGap.ms, answeredAgainMs: m.answeredAgainMs, notes: all.join('; '),
  };
}

function fmt(value: number | null): string {
  if (value === null) return '-';
  return Number.isInteger(value) ? String(value) : value.toFixed(0);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export const TABLE_HEADER = ['tool', 'scenario', 'requests', 'failed', '503s', 'longest gap (ms)', 'time to answer again (ms)', 'notes'] as const;

/** A markdown table; numbers are rounded to whole milliseconds, missing ones shown as "-". */
export function renderTable(rows: readonly Row[]): string {
  const lines = [
    `| ${TABLE_HEADER.join(' | ')} |`,
    `|${TABLE_HEADER.map((h, i) => (i >= 2 && i <= 6 ? '---:' : '---')).join('|')}|`,
  ];
  for (const r of rows) {
    lines.push(`| ${[r.tool, r.scenario, fmt(r.requests), fmt(r.failed), fmt(r.http503), fmt(r.longestGapMs), fmt(r.answeredAgainMs), r.notes].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
