// The benchmark's report: one row per scenario, the failures that make the exit code 1, and the rendered text.
import { availableParallelism, cpus } from 'node:os';
import { STALL_FLOOR_MS, renderTable, type Row } from './measure.js';
import { TAIL_MS, WARMUP_MS, type LoadOptions } from './under-load.js';
import { renderLean, type LeanRow } from './scenarios-lean.js';
import { CRASH_LOAD, REPEAT_GAP_MS, REPEATED_KILLS, renderCrash, type CrashRow } from './scenarios-crash.js';

export interface Report {
  readonly rows: Row[];
  readonly failures: string[];
  /** The lean-and-fast rows (CLI wall time, memory), a table of their own. */
  lean?: readonly LeanRow[];
  /** Crash recovery: each SIGKILL's row, Gatehouse (standby on and off) beside PM2. */
  crash?: CrashRow[];
}

/** A row for a scenario that failed; it keeps the partial measurements when the event itself failed. */
export function notRun(tool: string, scenario: string, error: unknown): Row {
  const partial = (error as { row?: Row }).row;
  const message = `could not run: ${(error as Error).message ?? String(error)}`;
  if (partial !== undefined) return { ...partial, notes: [partial.notes, message].filter((n) => n !== '').join('; ') };
  return { tool, scenario, requests: null, failed: null, http503: null, longestGapMs: null, answeredAgainMs: null, notes: message };
}

/** Run one scenario; a failure becomes a row and a failure line, so the remaining scenarios still run. */
export async function attempt(report: Report, tool: string, scenario: string, body: () => Promise<Row>): Promise<boolean> {
  process.stderr.write(`[bench] ${tool}: ${scenario}\n`);
  try {
    report.rows.push(await body());
    return true;
  } catch (error) {
    report.rows.push(notRun(tool, scenario, error));
    report.failures.push(`${tool} ${scenario}: ${(error as Error).message}`);
    process.stderr.write(`[bench]   failed: ${(error as Error).message}\n`);
    return false;
  }
}

/** A start row: only the time to the first 200, no load. */
export function startRow(tool: string, scenario: string, ms: number, notes: string[]): Row {
  return { tool, scenario, requests: null, failed: null, http503: null, longestGapMs: null, answeredAgainMs: ms, notes: notes.join('; ') };
}

export function round(ms: number): number {
  return Math.round(ms);
}

function machine(pm2Version: string | null, load: LoadOptions, withRows: boolean): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const line = `Machine: ${availableParallelism()} CPUs (${cpu}), ${process.platform} ${process.arch}, Node ${process.version}, PM2 ${pm2Version ?? 'not installed'}.`;
  if (!withRows) return line; // the crash and lean tables say their own load
  return [
    line,
    `Load: a separate process, ${load.connections} keep-alive connections, each sending one request every ${load.intervalMs} ms ` +
      `(≈${Math.round((1000 * load.connections) / load.intervalMs)} req/s), alternating GET /healthz and POST /v1/sessions/{id}/messages; no retries; ` +
      `${WARMUP_MS} ms warm-up before the event, ${TAIL_MS} ms after a new process answered.`,
  ].join('\n');
}

const LEGEND = [
  '- failed: every request without its success answer (200 for /healthz, 202 for a message): refused, reset, timeout, 5xx; **503s are included in failed and also counted on their own**.',
  '- longest gap: the longest interval, over the whole load window, in which no request got a successful answer.',
  `- time to answer again: from the event (the CLI spawned, or the SIGKILL sent) to the first successful answer after the disruption (the end of the longest no-success interval after the event, or the first success after the last failed request was sent, whichever is later); 0 when nothing failed and no post-event stall was longer than ${STALL_FLOOR_MS} ms and twice the longest one before the event. For start rows: spawn → first 200.`,
].join('\n');

const CRASH_LEGEND = [
  `- Crash recovery: a separate load process opens a new connection for every request, one every ${CRASH_LOAD.intervalMs} ms (alternating GET /healthz and POST /v1/sessions/{id}/messages), ${CRASH_LOAD.requestTimeoutMs} ms timeout, no retries; the process that answers is SIGKILLed once (isolated), then ${REPEATED_KILLS} times ${REPEAT_GAP_MS / 1000} s apart in one load run (each kill measured on its own part of the run). Gatehouse: each kill waits until the standby is ready again (when it is on).`,
  '- vs PM2, same kill: Gatehouse\'s time to answer again divided by PM2\'s for the kill at the same place (isolated, 1/3, 2/3, 3/3) in this run.',
].join('\n');

const LEAN_LEGEND = '- CLI wall time: spawn to exit of each command, with a Gatehouse gateway and a PM2 daemon running; "vs floor" is the ratio of medians to `node -e 0` in the same run. RSS: resident memory of each process; "vs floor" is the difference to the bare Node HTTP server.';

/** The whole report as Markdown: heading, machine and load, table, legend. */
export function renderReport(report: Report, benchMs: number, pm2Version: string | null, load: LoadOptions): string {
  return [
    `## Restart benchmark (${new Date().toISOString().slice(0, 10)}, ${Math.round(benchMs / 1000)} s)`,
    '',
    machine(pm2Version, load, report.rows.length > 0),
    '',
    ...(report.rows.length === 0 ? [] : [renderTable(report.rows), '', LEGEND, '']),
    ...(report.crash === undefined ? [] : [renderCrash(report.crash), '', CRASH_LEGEND, '']),
    ...(report.lean === undefined ? [] : [renderLean(report.lean), '', LEAN_LEGEND, '']),
  ].join('\n');
}
