// The benchmark's measurement code on made-up timelines (no processes, no clock).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STALL_FLOOR_MS, answeredAgainAfterKill, classify, computeMetrics, longestGap, median, newProcessAnswered, renderTable, rowFromMetrics, type Sample } from '../../bench/measure.js';

function ok(end: number, servedBy: number | null = null, route: Sample['route'] = 'healthz'): Sample {
  return { start: end - 1, end, route, status: route === 'healthz' ? 200 : 202, error: null, servedBy };
}
function refused(end: number): Sample {
  return { start: end - 1, end, route: 'healthz', status: null, error: 'ECONNREFUSED', servedBy: null };
}
function status(end: number, code: number, route: Sample['route'] = 'message'): Sample {
  return { start: end - 1, end, route, status: code, error: null, servedBy: null };
}
/** Successes every `step` ms over [from, to). */
function steady(from: number, to: number, step: number, servedBy: number | null = null): Sample[] {
  const out: Sample[] = [];
  for (let t = from; t < to; t += step) out.push(ok(t, servedBy));
  return out;
}

describe('classify', () => {
  it('counts the success answer of each route as ok and sorts the rest', () => {
    assert.equal(classify(ok(1)), 'ok');
    assert.equal(classify(ok(1, null, 'message')), 'ok');
    assert.equal(classify(status(1, 200, 'message')), 'other'); // a message answered 200 is not the contract (202)
    assert.equal(classify(status(1, 503)), 'http503');
    assert.equal(classify(status(1, 502)), 'http5xx');
    assert.equal(classify(status(1, 401)), 'other');
    assert.equal(classify(refused(1)), 'refused');
    assert.equal(classify({ ...refused(1), error: 'ECONNRESET' }), 'reset');
    assert.equal(classify({ ...refused(1), error: 'TIMEOUT' }), 'timeout');
  });
});

describe('longestGap', () => {
  it('finds the longest interval between successes, window edges included', () => {
    assert.deepEqual(longestGap([10, 20, 70, 80], 0, 100), { from: 20, to: 70, ms: 50 });
    assert.deepEqual(longestGap([10, 20], 0, 100), { from: 20, to: 100, ms: 80 }); // still down at the end
    assert.deepEqual(longestGap([], 0, 100), { from: 0, to: 100, ms: 100 }); // never answered
    assert.deepEqual(longestGap([80, 10, 20, 70], 0, 100), { from: 20, to: 70, ms: 50 }); // order does not matter
    assert.deepEqual(longestGap([-50, 10, 500], 0, 100), { from: 10, to: 100, ms: 90 }); // outside the window ignored
  });
});

describe('computeMetrics', () => {
  it('an outage: failures counted, the gap measured, and answered again after the last failure', () => {
    const samples = [...steady(0, 1000, 10, 1), refused(1005), refused(1100), refused(1190), ...steady(1200, 2000, 10, 2)];
    const m = computeMetrics(samples, 1000, 0, 2000);
    assert.equal(m.requests, samples.length);
    assert.equal(m.failed, 3);
    assert.equal(m.byOutcome.refused, 3);
    assert.equal(m.http503, 0);
    assert.equal(m.longestGap.ms, 210); // last success 990, next 1200
    assert.equal(m.answeredAgainMs, 200);
    assert.equal(m.interrupted, true);
    assert.equal(m.newProcessAnsweredMs, 200);
  });

  it('503s are failures and are also counted on their own', () => {
    const samples = [...steady(0, 1000, 10), status(1010, 503), status(1020, 503), ...steady(1030, 1500, 10)];
    const m = computeMetrics(samples, 1000, 0, 1500);
    assert.equal(m.failed, 2);
    assert.equal(m.http503, 2);
    assert.equal(m.answeredAgainMs, 30); // the first success after the last 503 (at 1020) is at 1030
  });

  it('a failure after the longest gap pushes the recovery past it', () => {
    const samples = [...steady(0, 1000, 10), ...steady(1100, 1380, 10), refused(1400), ...steady(1410, 1600, 10)];
    const m = computeMetrics(samples, 1000, 0, 1600);
    assert.equal(m.longestGap.ms, 110); // 990 -> 1100
    assert.equal(m.answeredAgainMs, 410); // the last failure ended at 1400; answered at 1410
  });

  it('a service that kept answering (no failure, no unusual stall) answered again at once', () => {
    const samples = [...steady(0, 1000, 10, 1), ...steady(1000, 1300, 10, 1), ...steady(1300, 2000, 12, 2)];
    const m = computeMetrics(samples, 1000, 0, 2000);
    assert.equal(m.failed, 0);
    assert.equal(m.interrupted, false);
    assert.equal(m.answeredAgainMs, 0);
    assert.equal(m.longestGap.ms, 12);
    assert.equal(m.newProcessAnsweredMs, 300);
  });

  it('a stall without failures (connections held while nothing serves) counts as an interruption', () => {
    const samples = [...steady(0, 1000, 10), ...steady(1250, 1500, 10)];
    const m = computeMetrics(samples, 1000, 0, 1500);
    assert.equal(m.failed, 0);
    assert.equal(m.interrupted, true);
    assert.equal(m.longestGap.ms, 260); // 990 -> 1250
    assert.equal(m.answeredAgainMs, 250); // from the event, not from the last success before it
  });

  it('a request that hung until its timeout does not hide the answers that came meanwhile', () => {
    const hung: Sample = { start: 1005, end: 6005, route: 'healthz', status: null, error: 'TIMEOUT', servedBy: null };
    const samples = [...steady(0, 1000, 10), hung, ...steady(1200, 1500, 10)];
    const m = computeMetrics(samples, 1000, 0, 1500);
    assert.equal(m.byOutcome.timeout, 1);
    assert.equal(m.answeredAgainMs, 200);
  });

  it('a short stall (under STALL_FLOOR_MS) without failures is not an interruption', () => {
    const samples = [...steady(0, 1000, 10), ...steady(1000, 1200, 10), ...steady(1235, 1500, 10)];
    const m = computeMetrics(samples, 1000, 0, 1500);
    assert.ok(m.gapAfterEvent.ms > 2 * m.baselineGap.ms && m.gapAfterEvent.ms < STALL_FLOOR_MS);
    assert.equal(m.interrupted, false);
    assert.equal(m.answeredAgainMs, 0);
  });

  it('no answer after the event: answered again is unknown', () => {
    const samples = [...steady(0, 1000, 10), refused(1100), refused(1200)];
    const m = computeMetrics(samples, 1000, 0, 1500);
    assert.equal(m.answeredAgainMs, null);
    assert.equal(m.longestGap.ms, 510);
  });
});

describe('newProcessAnswered', () => {
  it('ignores pids that answered before the event (cluster workers take turns)', () => {
    const before = [ok(10, 1), ok(20, 2), ok(30, 1), ok(40, 2)];
    const after = [ok(110, 1), ok(120, 2), ok(130, 3)];
    assert.equal(newProcessAnswered([...before, ...after], 100), 30);
    assert.equal(newProcessAnswered(before, 100), null); // nothing new
    assert.equal(newProcessAnswered(after, 100), null); // nobody before the event to compare with
  });
});

describe('renderTable', () => {
  it('renders a markdown table with rounded numbers, dashes for missing ones and escaped pipes', () => {
    const m = computeMetrics([...steady(0, 100, 10), refused(105), ...steady(120, 200, 10)], 100, 0, 200);
    const rows = [
      rowFromMetrics('tool', 'restart | under load', m, ['CLI took 5 ms']),
      { tool: 'node', scenario: 'floor', requests: null, failed: null, http503: null, longestGapMs: null, answeredAgainMs: 45.6, notes: '' },
    ];
    const lines = renderTable(rows).split('\n');
    assert.equal(lines.length, 4);
    assert.equal(lines[0], '| tool | scenario | requests | failed | 503s | longest gap (ms) | time to answer again (ms) | notes |');
    assert.equal(lines[2], '| tool | restart \\| under load | 19 | 1 | 0 | 30 | 20 | 1 refused; CLI took 5 ms |');
    assert.equal(lines[3], '| node | floor | - | - | - | - | 46 |  |');
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.throws(() => median([]));
  });
});

describe('answeredAgainAfterKill', () => {
  it('ends at the first success of a request sent after the kill and after the last failure, not at a later hiccup', () => {
    // Steady every 2 ms, a reset in flight at the kill (t=100), answers again from 140, then a 150 ms hiccup later on.
    const samples = [...steady(2, 100, 2), { ...refused(105), start: 95, error: 'ECONNRESET' }, ...steady(140, 300, 2), ...steady(450, 600, 2)];
    assert.equal(answeredAgainAfterKill(samples, 100, 2), 40);
    // The longest no-success interval after the event (what computeMetrics reports) is the hiccup.
    assert.equal(computeMetrics(samples, 100, 2, 600).answeredAgainMs, 450 - 100);
  });

  it('waits past refusals: the first success of a request sent after the last refused one', () => {
    const samples = [...steady(2, 100, 2), ...[110, 130, 150].map(refused), ...steady(171, 300, 2)];
    assert.equal(answeredAgainAfterKill(samples, 100, 2), 71);
  });

  it('is 0 when nothing failed and no stall followed the kill; the stall when one did; null when nothing answered', () => {
    assert.equal(answeredAgainAfterKill(steady(2, 300, 2), 100, 2), 0);
    assert.equal(answeredAgainAfterKill([...steady(2, 100, 2), ...steady(400, 500, 2)], 100, 2), 300);
    assert.equal(answeredAgainAfterKill([...steady(2, 100, 2), refused(150)], 100, 2), null);
  });
});
