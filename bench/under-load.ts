// One scenario under load: drive the load process (dist/bench/load.js), cause the event, measure recovery.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { now } from './clock.js';
import type { LoadConfig, LoadToParent } from './load.js';
import { answeredAgainAfterKill, classify, computeMetrics, rowFromMetrics, type Row, type Sample, type ScenarioMetrics } from './measure.js';
import { LOAD } from './paths.js';
import { bounded, onCleanup, startProcess } from './processes.js';

export const WARMUP_MS = 1_000;
export const TAIL_MS = 1_500;
const RECOVERY_TIMEOUT_MS = 20_000;
const LOAD_MAX_MS = 40_000;

// ---------------------------------------------------------------------------------------------
// The load process

class LoadRun {
  lastOkEnd: number | null = null;
  lastFailEnd: number | null = null;
  firstOkEnd: number | null = null;
  /** Pids that answered /healthz, with the time of their latest answer. */
  readonly servedBy = new Map<number, number>();
  private doneResult: Extract<LoadToParent, { type: 'done' }> | null = null;
  private readonly finished: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    this.finished = new Promise((resolveFinished) => {
      child.on('exit', () => resolveFinished());
    });
    child.on('message', (message: LoadToParent) => {
      if (message.type === 'tick') {
        this.lastOkEnd = message.lastOkEnd;
        this.lastFailEnd = message.lastFailEnd;
        if (this.firstOkEnd === null && message.lastOkEnd !== null) this.firstOkEnd = message.lastOkEnd;
        for (const [pid, at] of message.servedBy) this.servedBy.set(pid, at);
      } else if (message.type === 'done') {
        this.doneResult = message;
      }
    });
  }

  static start(config: LoadConfig): LoadRun {
    const child = startProcess(process.execPath, [LOAD, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const run = new LoadRun(child);
    onCleanup('load generator', () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
    return run;
  }

  async waitUntil(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = now() + timeoutMs;
    while (!condition()) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the load generator exited while waiting for ${what}`);
      if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(10);
    }
  }

  async stop(): Promise<{ samples: Sample[]; startedAt: number; stoppedAt: number }> {
    if (this.child.connected) this.child.send({ type: 'stop' });
    await bounded(this.finished, 10_000);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    if (this.doneResult === null) throw new Error('the load generator sent no samples');
    return this.doneResult;
  }
}

// ---------------------------------------------------------------------------------------------
// A scenario under load

export interface LoadOptions {
  readonly connections: number;
  readonly intervalMs: number;
  /** Where to write each scenario's raw samples (JSON), for a closer look; null: nowhere. */
  readonly samplesDir: string | null;
  /** false: a new connection per request. Default true. */
  readonly keepAlive?: boolean;
  /** A request without an answer after this long is a timeout. Default 5 s. */
  readonly requestTimeoutMs?: number;
}

export interface EventOutcome {
  /** When the orchestrator considers the event over (the CLI returned); recovery is awaited after it. */
  readonly doneAt: number;
  readonly notes: string[];
  /** When the event really happened, if not when cause() was called (a kill after a pid lookup). */
  readonly eventAt?: number;
  /** The event did not happen as intended (the CLI failed): the scenario counts as not run. */
  readonly error?: string;
}

export async function underLoad(
  tool: string, scenario: string, url: string, token: string | null, load: LoadOptions,
  cause: (calledAt: number) => Promise<EventOutcome>,
): Promise<Row> {
  const run = startLoad(url, token, load);
  await run.waitUntil('a first successful answer', () => run.firstOkEnd !== null, 10_000);
  await sleep(WARMUP_MS);
  const before = new Set(run.servedBy.keys());
  const called = now();
  const outcome = await cause(called);
  const event = outcome.eventAt ?? called;
  // Recovered: a process that was not serving before answered, and it answered after the last failure.
  const recoveryNote = await recovered(run, before, event, outcome.doneAt);
  await sleep(TAIL_MS);
  const windowEnd = now();
  const result = await run.stop();
  const firstOk = result.samples.filter((s) => s.status === 200 || s.status === 202).map((s) => s.end).sort((a, b) => a - b)[0] ?? result.startedAt;
  const metrics = computeMetrics(result.samples, event, firstOk, windowEnd);
  if (load.samplesDir !== null) {
    const name = `${tool}-${scenario}`.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
    writeFileSync(join(load.samplesDir, `${name}.json`), JSON.stringify({ tool, scenario, event, doneAt: outcome.doneAt, windowStart: firstOk, windowEnd, metrics, samples: result.samples }));
  }
  const notes = [...outcome.notes, ...(recoveryNote === null ? [] : [recoveryNote])];
  const row = rowFromMetrics(tool, scenario, metrics, notes);
  if (outcome.error !== undefined) throw Object.assign(new Error(outcome.error), { row });
  return row;
}

function startLoad(url: string, token: string | null, load: LoadOptions): LoadRun {
  return LoadRun.start({
    url, token, connections: load.connections, intervalMs: load.intervalMs, maxDurationMs: LOAD_MAX_MS,
    requestTimeoutMs: load.requestTimeoutMs ?? 5_000, keepAlive: load.keepAlive ?? true,
  });
}

/** Wait until a process that was not serving before the event answers, after the last failure. */
async function recovered(run: LoadRun, before: ReadonlySet<number>, event: number, doneAt: number): Promise<string | null> {
  try {
    await run.waitUntil('a new process to answer', () => {
      const fresh = [...run.servedBy].some(([pid, at]) => !before.has(pid) && at > event);
      return fresh && run.lastOkEnd !== null && run.lastOkEnd > doneAt && run.lastOkEnd > (run.lastFailEnd ?? 0);
    }, RECOVERY_TIMEOUT_MS);
    return null;
  } catch (error) {
    return `no recovery seen: ${(error as Error).message}`;
  }
}

/** One kill of a series, measured on its own part of the load. */
export interface KillResult {
  readonly metrics: ScenarioMetrics;
  /** measure.ts answeredAgainAfterKill: the interval this kill opened, not the longest one after it. */
  readonly answeredAgainMs: number | null;
  readonly notes: string[];
}

/**
 * Several events under one load run, gapMs apart (each after the previous one recovered, and after
 * ready() says the service is back to its steady state: a standby booted, say). Each event is
 * measured on the samples from the midpoint after the previous event (its own baseline) to the
 * next event.
 */
export async function underLoadSeries(
  name: string, url: string, token: string | null, load: LoadOptions, count: number, gapMs: number,
  cause: (index: number) => Promise<EventOutcome>, ready: () => Promise<void> = async () => {},
): Promise<KillResult[]> {
  const run = startLoad(url, token, load);
  await run.waitUntil('a first successful answer', () => run.firstOkEnd !== null, 10_000);
  await sleep(WARMUP_MS);
  const events: Array<{ at: number; notes: string[]; error?: string }> = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      await ready();
      const wait = events[i - 1]!.at + gapMs - now();
      if (wait > 0) await sleep(wait);
    }
    const before = new Set(run.servedBy.keys());
    const called = now();
    const outcome = await cause(i);
    const at = outcome.eventAt ?? called;
    const note = await recovered(run, before, at, outcome.doneAt);
    events.push({ at, notes: [...outcome.notes, ...(note === null ? [] : [note])], ...(outcome.error === undefined ? {} : { error: outcome.error }) });
  }
  await sleep(TAIL_MS);
  const windowEnd = now();
  const result = await run.stop();
  const firstOk = result.samples.filter((s) => s.status === 200 || s.status === 202).map((s) => s.end).sort((a, b) => a - b)[0] ?? result.startedAt;
  if (load.samplesDir !== null) {
    writeFileSync(join(load.samplesDir, `${name.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}.json`), JSON.stringify({ name, events, windowStart: firstOk, windowEnd, samples: result.samples }));
  }
  return events.map((event, i) => {
    const from = i === 0 ? firstOk : (events[i - 1]!.at + event.at) / 2;
    // Up to the next kill: a slow recovery still belongs to the kill that caused it.
    const to = i === events.length - 1 ? windowEnd : events[i + 1]!.at;
    // A failure still open at the next kill (in flight when it came) is that kill's, not this one's.
    const mine = result.samples.filter((s) => s.start >= from && s.start < to && (classify(s) === 'ok' || s.end < to || i === events.length - 1));
    if (event.error !== undefined) throw new Error(event.error);
    const metrics = computeMetrics(mine, event.at, Math.max(from, firstOk), to);
    return { metrics, answeredAgainMs: answeredAgainAfterKill(mine, event.at, metrics.baselineGap.ms), notes: event.notes };
  });
}

