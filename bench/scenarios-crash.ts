// Crash recovery: SIGKILL of the process that answers (Gatehouse's serving worker, with and without
// the warm standby; PM2's fork-mode app) under a load of new connections, once (an isolated crash)
// and three times a few seconds apart (repeated crashes, where the backoff comes in). Each kill
// gets its row: failed requests and the time until it answered again, beside PM2's for the same
// kill, and the resident memory of the processes each keeps.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { platform } from '../src/platform/index.js';
import { now } from './clock.js';
import { HOST, START_TIMEOUT_MS, first200, freePort } from './net.js';
import { GATEHOUSE } from './paths.js';
import { cli, ensureOk, identityOf, killObserved, onCleanup } from './processes.js';
import type { Report } from './report.js';
import { privateMb, rssMb } from './rss.js';
import { underLoadSeries, type EventOutcome, type KillResult, type LoadOptions } from './under-load.js';

/** What the issue measured with: one client opening a new connection for every request, every ~2 ms, 1 s timeout. */
export const CRASH_LOAD = { connections: 1, intervalMs: 2, keepAlive: false, requestTimeoutMs: 1_000 } as const;
export const REPEATED_KILLS = 3;
export const REPEAT_GAP_MS = 3_000;
/** How long a standby may take to be ready again before a kill (a busy machine boots slowly). */
const STANDBY_READY_TIMEOUT_MS = 30_000;

export interface CrashRow {
  readonly tool: string;
  readonly variant: string;
  /** "isolated", or "2/3" for the second of three kills. */
  readonly kill: string;
  readonly requests: number | null;
  readonly failed: number | null;
  readonly answeredAgainMs: number | null;
  readonly notes: string;
}

function crashRows(tool: string, variant: string, results: readonly KillResult[], series: boolean): CrashRow[] {
  return results.map((r, i) => {
    const m = r.metrics;
    const breakdown = (['refused', 'reset', 'timeout', 'http503', 'http5xx', 'other'] as const).filter((o) => m.byOutcome[o] > 0).map((o) => `${m.byOutcome[o]} ${o}`);
    return {
      tool, variant, kill: series ? `${i + 1}/${results.length}` : 'isolated', requests: m.requests, failed: m.failed,
      answeredAgainMs: r.answeredAgainMs, notes: [...breakdown, ...r.notes].join('; '),
    };
  });
}

function failedRow(tool: string, variant: string, error: unknown): CrashRow {
  return { tool, variant, kill: '-', requests: null, failed: null, answeredAgainMs: null, notes: `could not run: ${(error as Error).message}` };
}

interface GatehouseState { pid: number; worker: { pid: number; startTime: number } | null; standby?: { pid: number; ready: boolean } | null }

/** A gateway of its own (standby on or off): an isolated kill, then REPEATED_KILLS kills REPEAT_GAP_MS apart. */
export async function gatehouseCrashes(report: Report, load: LoadOptions, standby: boolean): Promise<void> {
  const variant = standby ? 'standby on (default)' : 'standby off';
  process.stderr.write(`[bench] gatehouse crash recovery, ${variant}\n`);
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-bench-crash-'));
  onCleanup('gatehouse crash home', () => rmSync(home, { recursive: true, force: true }));
  const profile = join(home, 'profiles', 'default');
  mkdirSync(profile, { recursive: true, mode: 0o700 });
  const port = await freePort();
  writeFileSync(join(profile, 'config.json'), JSON.stringify({ api: { host: HOST, port }, supervisor: { standby } }));
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_HOME: home, NO_COLOR: '1' };
  const url = `http://${HOST}:${port}`;
  const state = (): GatehouseState => JSON.parse(readFileSync(join(profile, 'state.json'), 'utf8')) as GatehouseState;
  let monitor: number | null = null;
  onCleanup('gatehouse crash gateway', async () => {
    await cli(GATEHOUSE, ['stop', '--timeout', '10'], env, 30_000, true).catch(() => null);
    killObserved(identityOf(monitor ?? undefined));
  });
  const rows = (report.crash ??= []);
  try {
    ensureOk('gatehouse start', await cli(GATEHOUSE, ['start'], env));
    monitor = state().pid;
    const token = readFileSync(join(profile, 'token'), 'utf8').trim();
    // Steady state before each kill: with the setting on, a standby booted and ready.
    const ready = async (): Promise<void> => {
      const deadline = now() + STANDBY_READY_TIMEOUT_MS;
      while (standby && state().standby?.ready !== true) {
        if (now() > deadline) throw new Error('no standby ready in time');
        await sleep(50);
      }
    };
    const kill = async (): Promise<EventOutcome> => {
      const s = state();
      const worker = s.worker;
      if (worker === null || !platform.matchesIdentity(worker)) return { doneAt: now(), notes: [], error: 'no live worker in state.json' };
      const eventAt = now();
      process.kill(worker.pid, 'SIGKILL');
      return { eventAt, doneAt: now(), notes: [`killed worker ${worker.pid}${s.standby ? `, standby ${s.standby.pid}` : ''}`] };
    };
    await ready();
    await sleep(1_000); // let the standby's boot settle, so RSS and the kill see it idle
    const s = state();
    const memory = `RSS (private) MB: ${[['monitor', s.pid], ['worker', s.worker?.pid ?? null], ...(s.standby ? [['standby', s.standby.pid]] : [])].map(([what, pid]) => `${what} ${memoryOf(pid as number | null)}`).join(', ')}`;
    const isolated = await underLoadSeries(`gatehouse ${variant} isolated`, url, token, { ...load, ...CRASH_LOAD }, 1, 0, kill, ready);
    rows.push(...crashRows('gatehouse', variant, isolated, false).map((r) => ({ ...r, notes: [r.notes, memory].join('; ') })));
    await ready();
    await sleep(2_000);
    const repeated = await underLoadSeries(`gatehouse ${variant} repeated`, url, token, { ...load, ...CRASH_LOAD }, REPEATED_KILLS, REPEAT_GAP_MS, kill, ready);
    rows.push(...crashRows('gatehouse', variant, repeated, true));
  } catch (error) {
    rows.push(failedRow('gatehouse', variant, error));
    report.failures.push(`gatehouse crash recovery (${variant}): ${(error as Error).message}`);
  }
}

/** PM2's fork-mode app under the same load and the same kills. */
export async function pm2Crashes(report: Report, load: LoadOptions, appDir: string, appFile: string, found: { bin: string } | null): Promise<void> {
  const rows = (report.crash ??= []);
  const variant = 'fork mode';
  if (found === null) {
    rows.push(failedRow('pm2', variant, new Error('pm2 not found')));
    return;
  }
  process.stderr.write('[bench] pm2 crash recovery\n');
  const pm2Home = mkdtempSync(join(tmpdir(), 'pm2-bench-crash-'));
  onCleanup('pm2 crash home', () => rmSync(pm2Home, { recursive: true, force: true }));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PM2_HOME: pm2Home, PORT: String(port), PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1' };
  const apps = new Set<number>();
  const appPid = async (): Promise<number | null> => {
    const list = await cli(found.bin, ['jlist'], env);
    const pid = (JSON.parse(list.stdout.slice(list.stdout.indexOf('['))) as Array<{ pid: number }>)[0]?.pid ?? null;
    if (pid !== null && pid > 0) apps.add(pid);
    return pid !== null && pid > 0 ? pid : null;
  };
  onCleanup('pm2 crash daemon', async () => {
    await cli(found.bin, ['kill'], env, 30_000, true).catch(() => null);
    try { killObserved(identityOf(Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8').trim()))); } catch { /* gone */ }
    for (const pid of apps) killObserved(identityOf(pid));
  });
  try {
    ensureOk('pm2 start', await cli(found.bin, ['start', appFile, '--name', 'bench-crash', '--interpreter', process.execPath, '--cwd', appDir], env));
    const url = `http://${HOST}:${port}`;
    if ((await first200(url, START_TIMEOUT_MS)) === null) throw new Error('the PM2 app never answered');
    const kill = async (): Promise<EventOutcome> => {
      const pid = await appPid();
      if (pid === null) return { doneAt: now(), notes: [], error: 'no live app pid in pm2 jlist' };
      const eventAt = now();
      process.kill(pid, 'SIGKILL');
      return { eventAt, doneAt: now(), notes: [`killed app ${pid}`] };
    };
    const daemon = Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8').trim());
    const app = await appPid();
    const memory = `RSS (private) MB: daemon ${memoryOf(daemon)}, app ${memoryOf(app)}`;
    const isolated = await underLoadSeries('pm2 isolated', url, null, { ...load, ...CRASH_LOAD }, 1, 0, kill);
    rows.push(...crashRows('pm2', variant, isolated, false).map((r) => ({ ...r, notes: [r.notes, memory].join('; ') })));
    await sleep(2_000);
    const repeated = await underLoadSeries('pm2 repeated', url, null, { ...load, ...CRASH_LOAD }, REPEATED_KILLS, REPEAT_GAP_MS, kill);
    rows.push(...crashRows('pm2', variant, repeated, true));
    await appPid(); // the last respawned app, for cleanup
  } catch (error) {
    rows.push(failedRow('pm2', variant, error));
    report.failures.push(`pm2 crash recovery: ${(error as Error).message}`);
  }
}

const mb = (value: number | null): string => (value === null ? '-' : value.toFixed(1));
const memoryOf = (pid: number | null): string => (pid === null ? '-' : `${mb(rssMb(pid))} (${mb(privateMb(pid))})`);
const ms = (value: number | null): string => (value === null ? '-' : String(Math.round(value)));

/** The crash table: each Gatehouse kill beside PM2's kill of the same place in the run. */
export function renderCrash(rows: readonly CrashRow[]): string {
  const pm2 = new Map(rows.filter((r) => r.tool === 'pm2').map((r) => [r.kill, r]));
  const lines = [
    '| tool | variant | kill | requests | failed | time to answer again (ms) | vs PM2, same kill | notes |',
    '|---|---|---|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const theirs = pm2.get(r.kill)?.answeredAgainMs ?? null;
    const ratio = r.tool === 'pm2' || theirs === null || theirs === 0 || r.answeredAgainMs === null ? '-' : `${(r.answeredAgainMs / theirs).toFixed(2)}×`;
    lines.push(`| ${r.tool} | ${r.variant} | ${r.kill} | ${ms(r.requests)} | ${ms(r.failed)} | ${ms(r.answeredAgainMs)} | ${ratio} | ${r.notes.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}
