// Start, compared (`npm run bench -- --only start`): a bare `node app.js` (the floor), `gatehouse
// start` and a cold `pm2 start` (no daemon yet: a fresh PM2_HOME each time), round after round so a
// busy moment of the machine touches all three alike (Gatehouse and PM2 take turns going first). Each round measures spawn → first 200 (a
// separate prober on fresh connections) and spawn → the CLI's exit; the medians are compared as
// ratios in the same run. Every gateway and daemon is stopped after its round, and killed by
// identity in the end if it is still there.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { ProcessIdentity } from '../src/platform/index.js';
import { median } from './measure.js';
import { HOST, START_TIMEOUT_MS, first200, freePort } from './net.js';
import { GATEHOUSE } from './paths.js';
import { cli, ensureOk, identityOf, killObserved, onCleanup, runNode } from './processes.js';
import { notRun, round, startRow, type Report } from './report.js';
import { bareStartMs } from './scenarios-floor.js';

/** Start times on a shared machine scatter widely: the median of this many rounds. */
const START_ROUNDS = 7;

interface Timing { readonly answerMs: number; readonly exitMs: number }

const fmt = (values: readonly number[]): string => values.map(round).join(', ');
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;

async function floorOnce(appDir: string, appFile: string): Promise<Timing> {
  return { answerMs: await bareStartMs(appDir, appFile), exitMs: Number.NaN };
}

async function gatehouseOnce(): Promise<Timing> {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-bench-start-'));
  const profile = join(home, 'profiles', 'default');
  mkdirSync(profile, { recursive: true, mode: 0o700 });
  const port = await freePort();
  writeFileSync(join(profile, 'config.json'), JSON.stringify({ api: { host: HOST, port } }));
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_HOME: home, NO_COLOR: '1' };
  let monitor: ProcessIdentity | null = null;
  const teardown = async (): Promise<void> => {
    await cli(GATEHOUSE, ['stop', '--timeout', '10'], env, 30_000, true).catch(() => null);
    killObserved(monitor);
    rmSync(home, { recursive: true, force: true });
  };
  onCleanup('gatehouse start home', teardown);
  try {
    const run = runNode(GATEHOUSE, ['start'], env);
    const at = await first200(`http://${HOST}:${port}`, START_TIMEOUT_MS);
    const result = await run.done;
    try {
      monitor = identityOf((JSON.parse(readFileSync(join(profile, 'state.json'), 'utf8')) as { pid: number }).pid);
    } catch { /* no state file: start failed, reported below */ }
    ensureOk('gatehouse start', result);
    if (at === null) throw new Error('the gateway never answered 200');
    return { answerMs: at - run.startedAt, exitMs: result.endedAt - run.startedAt };
  } finally {
    await teardown();
  }
}

async function pm2Once(bin: string, appDir: string, appFile: string): Promise<Timing> {
  const pm2Home = mkdtempSync(join(tmpdir(), 'pm2-bench-start-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env, PM2_HOME: pm2Home, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1', PORT: String(port),
  };
  const teardown = async (): Promise<void> => {
    let daemon: ProcessIdentity | null = null;
    try { daemon = identityOf(Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8').trim())); } catch { /* no daemon */ }
    await cli(bin, ['kill'], env, 30_000, true).catch(() => null);
    killObserved(daemon);
    rmSync(pm2Home, { recursive: true, force: true });
  };
  onCleanup('pm2 start home', teardown);
  try {
    const run = runNode(bin, ['start', appFile, '--name', 'bench-start', '--interpreter', process.execPath, '--cwd', appDir], env);
    const at = await first200(`http://${HOST}:${port}`, START_TIMEOUT_MS);
    const result = await run.done;
    ensureOk('pm2 start', result);
    if (at === null) throw new Error('the app never answered 200');
    return { answerMs: at - run.startedAt, exitMs: result.endedAt - run.startedAt };
  } finally {
    await teardown();
  }
}

const SCENARIOS = {
  floor: 'bare `node app.js` start, spawn → first 200 (floor)',
  gatehouse: '`gatehouse start`, spawn → first 200',
  pm2: '`pm2 start` fork mode (cold daemon), spawn → first 200',
} as const;

export async function starts(report: Report, appDir: string, appFile: string, found: { bin: string } | null): Promise<void> {
  const runs: { floor: Timing[]; gatehouse: Timing[]; pm2: Timing[] } = { floor: [], gatehouse: [], pm2: [] };
  try {
    if (found === null) throw new Error('pm2 not found (devDependency pm2, or PM2_BIN)');
    for (let i = 0; i < START_ROUNDS; i++) {
      process.stderr.write(`[bench] start round ${i + 1} of ${START_ROUNDS}\n`);
      runs.floor.push(await floorOnce(appDir, appFile));
      if (i % 2 === 0) {
        runs.gatehouse.push(await gatehouseOnce());
        runs.pm2.push(await pm2Once(found.bin, appDir, appFile));
      } else {
        runs.pm2.push(await pm2Once(found.bin, appDir, appFile));
        runs.gatehouse.push(await gatehouseOnce());
      }
    }
  } catch (error) {
    for (const [tool, scenario] of [['node', SCENARIOS.floor], ['gatehouse', SCENARIOS.gatehouse], ['pm2', SCENARIOS.pm2]] as const) report.rows.push(notRun(tool, scenario, error));
    report.failures.push(`start rounds: ${(error as Error).message}`);
    return;
  }
  const answer = (ts: Timing[]): number => median(ts.map((t) => t.answerMs));
  const exit = (ts: Timing[]): number => median(ts.map((t) => t.exitMs));
  const [pm2Answer, pm2Exit] = [answer(runs.pm2), exit(runs.pm2)];
  report.rows.push(
    startRow('node', SCENARIOS.floor, answer(runs.floor), [`median of ${START_ROUNDS} interleaved: ${fmt(runs.floor.map((t) => t.answerMs))} ms`]),
    startRow('gatehouse', SCENARIOS.gatehouse, answer(runs.gatehouse), [
      `median of ${START_ROUNDS} interleaved: ${fmt(runs.gatehouse.map((t) => t.answerMs))} ms, ${ratio(answer(runs.gatehouse), pm2Answer)} a cold \`pm2 start\``,
      `the CLI returned (start confirmed) after ${round(exit(runs.gatehouse))} ms (${fmt(runs.gatehouse.map((t) => t.exitMs))}), ${ratio(exit(runs.gatehouse), pm2Exit)} \`pm2 start\`'s exit`,
    ]),
    startRow('pm2', SCENARIOS.pm2, pm2Answer, [
      `median of ${START_ROUNDS} interleaved: ${fmt(runs.pm2.map((t) => t.answerMs))} ms`,
      `the CLI returned after ${round(pm2Exit)} ms (${fmt(runs.pm2.map((t) => t.exitMs))})`,
    ]),
  );
}
