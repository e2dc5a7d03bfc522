// RestartBackoff driven by a fake clock: delays, cap, reset after a healthy run, crash-loop breaker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_RESTART_DELAY_MS, BREAKER_PAUSE_MS, CRASH_LOOP_COUNT, CRASH_LOOP_WINDOW_MS, HEALTHY_RUN_MS, MAX_RESTART_DELAY_MS,
  RestartBackoff, type Clock,
} from '../../src/runtime/backoff.js';

/** random() = 0.5 gives a jitter factor of exactly 1. */
const NO_JITTER = (): number => 0.5;

class FakeClock implements Clock {
  constructor(public t = 1_000_000) {}
  now(): number { return this.t; }
  advance(ms: number): number { this.t += ms; return this.t; }
}

test('the constants describe the documented policy', () => {
  assert.equal(BASE_RESTART_DELAY_MS, 500);
  assert.equal(MAX_RESTART_DELAY_MS, 30_000);
  assert.equal(CRASH_LOOP_COUNT, 5);
  assert.equal(CRASH_LOOP_WINDOW_MS, 60_000);
  assert.equal(BREAKER_PAUSE_MS, 300_000);
});

test('first crash restarts at once, then delays grow exponentially', () => {
  const clock = new FakeClock();
  const backoff = new RestartBackoff(clock, NO_JITTER);
  const delays: number[] = [];
  // Four quick crashes (below the breaker threshold), each worker lived 1 s.
  for (let i = 0; i < CRASH_LOOP_COUNT - 1; i += 1) {
    clock.advance(1_000);
    const decision = backoff.onCrash(clock.now() - 1_000);
    assert.equal(decision.breakerOpen, false);
    assert.equal(decision.recentCrashes, i + 1);
    delays.push(decision.delayMs);
  }
  assert.deepEqual(delays, [0, 500, 1_000, 2_000]);
});

test('delays are capped at MAX_RESTART_DELAY_MS when crashes are spread out (no breaker)', () => {
  const clock = new FakeClock();
  const backoff = new RestartBackoff(clock, NO_JITTER);
  const delays: number[] = [];
  // 16 s apart: at most 4 crashes fall in any 60 s window, so the breaker never opens;
  // each worker ran 1 s, far below HEALTHY_RUN_MS, so the backoff keeps growing.
  for (let i = 0; i < 10; i += 1) {
    clock.advance(16_000);
    const decision = backoff.onCrash(clock.now() - 1_000);
    assert.equal(decision.breakerOpen, false, `crash ${i}`);
    assert.ok(decision.recentCrashes <= 4, `crash ${i}: ${decision.recentCrashes} in window`);
    delays.push(decision.delayMs);
  }
  assert.deepEqual(delays, [0, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
});

test('a worker that ran HEALTHY_RUN_MS resets the backoff to an immediate restart', () => {
  const clock = new FakeClock();
  const backoff = new RestartBackoff(clock, NO_JITTER);
  clock.advance(1_000);
  assert.equal(backoff.onCrash(clock.now() - 10).delayMs, 0);
  clock.advance(1_000);
  assert.equal(backoff.onCrash(clock.now() - 10).delayMs, 500);
  clock.advance(1_000);
  assert.equal(backoff.onCrash(clock.now() - 10).delayMs, 1_000);
  // The next worker runs exactly HEALTHY_RUN_MS before crashing: healthy again.
  const started = clock.now();
  clock.advance(HEALTHY_RUN_MS);
  const decision = backoff.onCrash(started);
  assert.equal(decision.delayMs, 0);
  assert.equal(decision.breakerOpen, false);
  // ... and the growth starts over.
  clock.advance(1_000);
  assert.equal(backoff.onCrash(clock.now() - 10).delayMs, 500);
});

test('one ms short of a healthy run does not reset the backoff', () => {
  const clock = new FakeClock();
  const backoff = new RestartBackoff(clock, NO_JITTER);
  backoff.onCrash(clock.now());
  const started = clock.now();
  clock.advance(HEALTHY_RUN_MS - 1);
  assert.equal(backoff.onCrash(started).delayMs, 500);
});

test('the breaker opens at CRASH_LOOP_COUNT crashes within the window and pauses BREAKER_PAUSE_MS', () => {
  const clock = new FakeClock();
  const backoff = new RestartBackoff(clock, NO_JITTER);
  const decisions = [];
  for (let i = 0; i < CRASH_LOOP_COUNT; i += 1) {
    clock.advance(100);
    decisions.push(backoff.onCrash(clock.now() - 50));
  }
  const last = decisions.at(-1)!;
  assert.deepEqual(last, { delayMs: BREAKER_PAUSE_MS, breakerOpen: true, recentCrashes: CRASH_LOOP_COUNT });
  assert.ok(decisions.slice(0, -1).every((d) => !d.breakerOpen));
  // After the pause the count starts over: the next crash restarts at once.
  clock.advance(BREAKER_PAUSE_MS);
  const after = backoff.onCrash(clock.now() - 50);
  assert.deepEqual(after, { delayMs: 0, breakerOpen: false, recentCrashes: 1 });
});

test('crashes older than the window do not count towards the breaker', () => {
  const clock = new FakeClock();
  const backoff = new RestartBackoff(clock, NO_JITTER);
  for (let i = 0; i < CRASH_LOOP_COUNT - 1; i += 1) {
    clock.advance(10);
    backoff.onCrash(clock.now() - 5);
  }
  // The window slides past all four: the fifth crash sees only itself.
  clock.advance(CRASH_LOOP_WINDOW_MS);
  const decision = backoff.onCrash(clock.now() - 5);
  assert.equal(decision.breakerOpen, false);
  assert.equal(decision.recentCrashes, 1);
});

test('jitter spreads each delay within +-50% and never delays the first restart', () => {
  const clock = new FakeClock();
  const low = new RestartBackoff(clock, () => 0);
  const high = new RestartBackoff(clock, () => 0.999_999);
  assert.equal(low.onCrash(clock.t).delayMs, 0);
  assert.equal(high.onCrash(clock.t).delayMs, 0);
  assert.equal(low.onCrash(clock.advance(1)).delayMs, BASE_RESTART_DELAY_MS / 2);
  assert.equal(high.onCrash(clock.t).delayMs, Math.round(BASE_RESTART_DELAY_MS * 1.5));
});
