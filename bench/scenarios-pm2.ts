// PM2's scenarios: `pm2 start` (fork mode), `pm2 restart` and a SIGKILL of the app under load, `pm2 reload` in cluster mode.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { ProcessIdentity } from '../src/platform/index.js';
import { now } from './clock.js';
import { HOST, START_TIMEOUT_MS, first200, freePort } from './net.js';
import { ROOT } from './paths.js';
import { CLI_TIMEOUT_MS, cli, ensureOk, identityOf, killObserved, onCleanup, runNode } from './processes.js';
import { attempt, notRun, round, startRow, type Report } from './report.js';
import { underLoad, type LoadOptions } from './under-load.js';

/** The project's devDependency pm2, else PM2_BIN; null when neither is there (its rows say so). */
export function findPm2(): { bin: string; version: string } | null {
  let bin: string | null = null;
  try {
    bin = createRequire(join(ROOT, 'package.json')).resolve('pm2/bin/pm2');
  } catch {
    bin = process.env.PM2_BIN ?? null;
  }
  if (bin === null) return null;
  let version = 'unknown';
  try {
    const pkg = JSON.parse(readFileSync(resolve(dirname(bin), '..', 'package.json'), 'utf8')) as { version?: string };
    version = pkg.version ?? version;
  } catch { /* a PM2_BIN outside a package: version unknown */ }
  return { bin, version };
}

export async function pm2(report: Report, load: LoadOptions, appDir: string, appFile: string, found: { bin: string; version: string } | null): Promise<void> {
  const scenarios = ['`pm2 start` fork mode (cold daemon), spawn → first 200', 'fork mode: `pm2 restart` under load', 'fork mode: SIGKILL of the app under load', 'cluster mode (-i 2): `pm2 reload` under load'];
  if (found === null) {
    for (const s of scenarios) report.rows.push(notRun('pm2', s, new Error('pm2 not found (devDependency pm2, or PM2_BIN)')));
    report.failures.push('pm2: not installed');
    return;
  }
  const pm2Home = mkdtempSync(join(tmpdir(), 'pm2-bench-home-'));
  onCleanup('pm2 home', () => rmSync(pm2Home, { recursive: true, force: true }));
  const forkPort = await freePort();
  const clusterPort = await freePort();
  // PM2 runs on the benchmark's Node (its daemon is spawned with process.execPath), never on ~/.pm2.
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env, PM2_HOME: pm2Home, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1',
  };
  const pm2cli = (args: readonly string[], env: NodeJS.ProcessEnv = baseEnv, forCleanup = false) => cli(found.bin, args, env, CLI_TIMEOUT_MS, forCleanup);
  const appPids = new Set<ProcessIdentity>();
  const remember = async (name: string): Promise<number[]> => {
    const r = await pm2cli(['jlist']);
    const list = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as Array<{ name: string; pid: number }>;
    const pids = list.filter((p) => p.name === name && p.pid > 0).map((p) => p.pid);
    for (const pid of pids) { const id = identityOf(pid); if (id !== null) appPids.add(id); }
    return pids;
  };
  onCleanup('pm2', async () => {
    const killed = await pm2cli(['kill'], baseEnv, true).catch(() => null);
    if (killed?.code !== 0) process.stderr.write(`[bench] pm2 kill exited ${killed?.code}\n`);
    let daemon: ProcessIdentity | null = null;
    try { daemon = identityOf(Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8').trim())); } catch { /* gone */ }
    killObserved(daemon);
    for (const id of appPids) killObserved(id);
  });

  const forkEnv = { ...baseEnv, PORT: String(forkPort) };
  const forkUrl = `http://${HOST}:${forkPort}`;
  const forkStarted = await attempt(report, 'pm2', scenarios[0] as string, async () => {
    const run = runNode(found.bin, ['start', appFile, '--name', 'bench-fork', '--interpreter', process.execPath, '--cwd', appDir], forkEnv);
    const at = await first200(forkUrl, START_TIMEOUT_MS);
    const result = await run.done;
    ensureOk('pm2 start', result);
    if (at === null) throw new Error('the app never answered 200');
    await remember('bench-fork');
    return startRow('pm2', scenarios[0] as string, at - run.startedAt, [`the CLI returned after ${round(result.endedAt - run.startedAt)} ms`]);
  });
  if (forkStarted) {
    await attempt(report, 'pm2', scenarios[1] as string, () => underLoad('pm2', scenarios[1] as string, forkUrl, null, load, async () => {
      const result = await pm2cli(['restart', 'bench-fork']);
      const pids = await remember('bench-fork');
      return { doneAt: now(), notes: [`CLI took ${round(result.ms)} ms`, `app pid now ${pids.join(',')}`], ...(result.code === 0 ? {} : { error: `pm2 restart exited ${result.code}` }) };
    }));
    await attempt(report, 'pm2', scenarios[2] as string, () => underLoad('pm2', scenarios[2] as string, forkUrl, null, load, async () => {
      const pids = await remember('bench-fork');
      const pid = pids[0];
      const id = identityOf(pid);
      if (id === null || pid === undefined) return { doneAt: now(), notes: [], error: 'no live app pid in pm2 jlist' };
      const eventAt = now();
      process.kill(pid, 'SIGKILL');
      return { eventAt, doneAt: now(), notes: [`killed app ${pid}`] };
    }));
    await remember('bench-fork'); // the respawned app, for cleanup
    await pm2cli(['delete', 'bench-fork']); // one app at a time on this machine
  } else {
    for (const s of scenarios.slice(1, 3)) report.rows.push(notRun('pm2', s, new Error('pm2 start failed')));
  }

  const clusterEnv = { ...baseEnv, PORT: String(clusterPort) };
  const clusterUrl = `http://${HOST}:${clusterPort}`;
  await attempt(report, 'pm2', scenarios[3] as string, async () => {
    const started = await cli(found.bin, ['start', appFile, '--name', 'bench-cluster', '-i', '2', '--cwd', appDir], clusterEnv);
    ensureOk('pm2 start -i 2', started);
    if ((await first200(clusterUrl, START_TIMEOUT_MS)) === null) throw new Error('the cluster never answered 200');
    await remember('bench-cluster');
    return underLoad('pm2', scenarios[3] as string, clusterUrl, null, load, async () => {
      const result = await pm2cli(['reload', 'bench-cluster']);
      const pids = await remember('bench-cluster');
      return { doneAt: now(), notes: [`CLI took ${round(result.ms)} ms`, `worker pids now ${pids.join(',')}`], ...(result.code === 0 ? {} : { error: `pm2 reload exited ${result.code}` }) };
    });
  });
}
