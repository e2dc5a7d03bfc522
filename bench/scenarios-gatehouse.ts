// Gatehouse's scenarios: `gatehouse start`, then `gatehouse restart` and a SIGKILL of the worker under load.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_START_CONFIRM_MS } from '../src/control/start-defaults.js';
import { platform, type ProcessIdentity } from '../src/platform/index.js';
import { now } from './clock.js';
import { HOST, START_TIMEOUT_MS, first200, freePort } from './net.js';
import { GATEHOUSE } from './paths.js';
import { cli, ensureOk, killObserved, onCleanup, runNode } from './processes.js';
import { attempt, notRun, round, startRow, type Report } from './report.js';
import { underLoad, type LoadOptions } from './under-load.js';

/** The parts of the profile's state.json the scenarios read (the monitor and its worker). */
interface StateFile {
  api: { url: string } | null;
  worker: { pid: number; startTime: number } | null;
  pid: number;
  startTime: number;
}

export async function gatehouse(report: Report, load: LoadOptions): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  onCleanup('gatehouse home', () => rmSync(home, { recursive: true, force: true }));
  const profile = join(home, 'profiles', 'default');
  mkdirSync(profile, { recursive: true, mode: 0o700 });
  const port = await freePort();
  writeFileSync(join(profile, 'config.json'), JSON.stringify({ api: { host: HOST, port } }));
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_HOME: home, NO_COLOR: '1' };
  const url = `http://${HOST}:${port}`;
  const state = (): StateFile => JSON.parse(readFileSync(join(profile, 'state.json'), 'utf8')) as StateFile;
  let monitor: ProcessIdentity | null = null;
  onCleanup('gatehouse', async () => {
    const stopped = await cli(GATEHOUSE, ['stop', '--timeout', '10'], env, 30_000, true).catch(() => null);
    if (stopped?.code !== 0) process.stderr.write(`[bench] gatehouse stop exited ${stopped?.code}; killing the tree\n`);
    killObserved(monitor); // no-op once it is gone: identity no longer matches
  });

  const started = await attempt(report, 'gatehouse', '`gatehouse start`, spawn → first 200', async () => {
    const run = runNode(GATEHOUSE, ['start'], env);
    const at = await first200(url, START_TIMEOUT_MS);
    const result = await run.done;
    try {
      const s = state();
      monitor = { pid: s.pid, startTime: s.startTime };
    } catch { /* no state file: start failed, reported below */ }
    ensureOk('gatehouse start', result);
    if (at === null) throw new Error('the gateway never answered 200');
    return startRow('gatehouse', '`gatehouse start`, spawn → first 200', at - run.startedAt, [`the CLI returned after ${round(result.endedAt - run.startedAt)} ms (it confirms the gateway stayed up for ${DEFAULT_START_CONFIRM_MS} ms after its first answer)`]);
  });
  if (!started) {
    report.rows.push(notRun('gatehouse', '`gatehouse restart` under load', new Error('the gateway did not start')));
    report.rows.push(notRun('gatehouse', 'SIGKILL of the worker under load', new Error('the gateway did not start')));
    report.failures.push('gatehouse: restart and SIGKILL scenarios skipped');
    return;
  }
  const token = readFileSync(join(profile, 'token'), 'utf8').trim();

  await attempt(report, 'gatehouse', '`gatehouse restart` under load', () => underLoad('gatehouse', '`gatehouse restart` under load', url, token, load, async () => {
    const oldWorker = state().worker?.pid;
    const result = await cli(GATEHOUSE, ['restart'], env);
    const notes = [`CLI took ${round(result.ms)} ms`, `worker ${oldWorker} → ${state().worker?.pid}`];
    return { doneAt: now(), notes, ...(result.code === 0 ? {} : { error: `gatehouse restart exited ${result.code}: ${result.stderr.trim()}` }) };
  }));

  await attempt(report, 'gatehouse', 'SIGKILL of the worker under load', () => underLoad('gatehouse', 'SIGKILL of the worker under load', url, token, load, async () => {
    const worker = state().worker;
    if (worker === null || !platform.matchesIdentity(worker)) return { doneAt: now(), notes: [], error: 'no live worker in state.json' };
    const eventAt = now();
    process.kill(worker.pid, 'SIGKILL');
    return { eventAt, doneAt: now(), notes: [`killed worker ${worker.pid}`] };
  }));
}
