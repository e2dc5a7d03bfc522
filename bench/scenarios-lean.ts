// Lean and fast: CLI wall time (`gatehouse status`, `status --json`, `send` beside `node -e 0` and
// `pm2 jlist`) and the resident memory of each long-running process (Gatehouse's monitor and
// worker, PM2's daemon and app, a bare `node app.js`), with a Gatehouse gateway and a PM2 daemon
// running side by side. CLI calls are interleaved round by round, so a busy moment of the machine
// touches every command alike; the medians are compared as ratios to `node -e 0` of the same run.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { median } from './measure.js';
import { HOST, START_TIMEOUT_MS, first200, freePort } from './net.js';
import { GATEHOUSE } from './paths.js';
import { cli, ensureOk, identityOf, killObserved, onCleanup, runNode, startProcess } from './processes.js';
import { round, type Report } from './report.js';
import { rssMb } from './rss.js';

const CLI_ROUNDS = 15;
/** Requests sent before memory is read, so that each server has answered some traffic. */
const WARM_REQUESTS = 20;
const SETTLE_MS = 1_000;

export interface LeanRow {
  readonly measure: string;
  readonly value: string;
  readonly ratio: string;
  readonly notes: string;
}


async function warm(url: string, token: string | null): Promise<void> {
  for (let i = 0; i < WARM_REQUESTS; i++) {
    const post = token !== null && i % 2 === 1;
    await fetch(post ? `${url}/v1/sessions/bench/messages` : `${url}/healthz`, {
      method: post ? 'POST' : 'GET',
      headers: post ? { authorization: `Bearer ${token}`, 'content-type': 'application/json' } : {},
      ...(post ? { body: JSON.stringify({ text: `warm ${i}` }) } : {}),
      signal: AbortSignal.timeout(5_000),
    }).then((r) => r.arrayBuffer()).catch(() => undefined);
  }
}

const mb = (value: number | null): string => (value === null ? '-' : value.toFixed(1));

export async function lean(report: Report, appDir: string, appFile: string, pm2: { bin: string; version: string } | null): Promise<void> {
  const rows: LeanRow[] = [];
  report.lean = rows;
  process.stderr.write('[bench] lean: CLI wall time and memory\n');
  try {
    // A bare Node HTTP server: the floor for memory.
    const barePort = await freePort();
    const bare = startProcess(process.execPath, [appFile], { cwd: appDir, env: { ...process.env, PORT: String(barePort) }, stdio: 'ignore' });
    onCleanup('bare app', () => { bare.kill('SIGKILL'); });
    if ((await first200(`http://${HOST}:${barePort}`, START_TIMEOUT_MS)) === null) throw new Error('the bare app never answered');

    // A Gatehouse gateway.
    const home = mkdtempSync(join(tmpdir(), 'gatehouse-bench-lean-'));
    onCleanup('lean gatehouse home', () => rmSync(home, { recursive: true, force: true }));
    const profile = join(home, 'profiles', 'default');
    mkdirSync(profile, { recursive: true, mode: 0o700 });
    const port = await freePort();
    writeFileSync(join(profile, 'config.json'), JSON.stringify({ api: { host: HOST, port } }));
    const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_HOME: home, NO_COLOR: '1' };
    const started = await cli(GATEHOUSE, ['start'], env);
    const state = JSON.parse(readFileSync(join(profile, 'state.json'), 'utf8')) as { pid: number; startTime: number; worker: { pid: number } | null };
    onCleanup('lean gatehouse', async () => {
      await cli(GATEHOUSE, ['stop', '--timeout', '10'], env, 30_000, true).catch(() => null);
      killObserved(identityOf(state.pid));
    });
    ensureOk('gatehouse start', started);
    const token = readFileSync(join(profile, 'token'), 'utf8').trim();

    // A PM2 daemon with the same app in fork mode.
    let pm2Env: NodeJS.ProcessEnv | null = null;
    let pm2Pids: { daemon: number | null; app: number | null } = { daemon: null, app: null };
    if (pm2 !== null) {
      const pm2Home = mkdtempSync(join(tmpdir(), 'pm2-bench-lean-'));
      onCleanup('lean pm2 home', () => rmSync(pm2Home, { recursive: true, force: true }));
      const pm2Port = await freePort();
      pm2Env = { ...process.env, PM2_HOME: pm2Home, PORT: String(pm2Port), PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1' };
      const env2 = pm2Env;
      onCleanup('lean pm2', async () => {
        await cli(pm2.bin, ['kill'], env2, 30_000, true).catch(() => null);
        killObserved(identityOf(pm2Pids.daemon ?? undefined));
        killObserved(identityOf(pm2Pids.app ?? undefined));
      });
      ensureOk('pm2 start', await cli(pm2.bin, ['start', appFile, '--name', 'bench-lean', '--interpreter', process.execPath, '--cwd', appDir], pm2Env));
      if ((await first200(`http://${HOST}:${pm2Port}`, START_TIMEOUT_MS)) === null) throw new Error('the PM2 app never answered');
      const list = await cli(pm2.bin, ['jlist'], pm2Env);
      const app = (JSON.parse(list.stdout.slice(list.stdout.indexOf('['))) as Array<{ pid: number }>)[0];
      pm2Pids = { daemon: Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8').trim()), app: app?.pid ?? null };
      await warm(`http://${HOST}:${pm2Port}`, null);
    }

    // CLI wall time, interleaved.
    const commands: Array<{ label: string; script: string | null; args: string[]; env: NodeJS.ProcessEnv }> = [
      { label: '`node -e 0` (floor)', script: null, args: ['-e', '0'], env: process.env },
      { label: '`gatehouse status`', script: GATEHOUSE, args: ['status'], env },
      { label: '`gatehouse status --json`', script: GATEHOUSE, args: ['status', '--json'], env },
      { label: '`gatehouse send s hi`', script: GATEHOUSE, args: ['send', 'bench-cli', 'hi'], env },
      ...(pm2 !== null && pm2Env !== null ? [{ label: '`pm2 jlist`', script: pm2.bin, args: ['jlist'], env: pm2Env }] : []),
    ];
    const times = new Map<string, number[]>(commands.map((c) => [c.label, []]));
    for (let i = 0; i < CLI_ROUNDS; i++) {
      for (const c of commands) {
        const run = c.script === null ? runNode('-e', ['0'], c.env) : runNode(c.script, c.args, c.env);
        const result = await run.done;
        ensureOk(c.label, result);
        times.get(c.label)!.push(result.endedAt - run.startedAt);
      }
    }
    const floorMs = median(times.get(commands[0]!.label)!);
    for (const c of commands) {
      const t = times.get(c.label)!;
      rows.push({ measure: `CLI wall time: ${c.label}`, value: `${round(median(t))} ms`, ratio: `${(median(t) / floorMs).toFixed(2)}×`, notes: `median of ${CLI_ROUNDS}, interleaved; min ${round(Math.min(...t))} ms` });
    }

    // Memory, idle after some traffic.
    await warm(`http://${HOST}:${port}`, token);
    await warm(`http://${HOST}:${barePort}`, null);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const now = JSON.parse(readFileSync(join(profile, 'state.json'), 'utf8')) as { worker: { pid: number } | null; standby?: { pid: number } | null };
    const workerPid = now.worker?.pid ?? null;
    const standbyPid = now.standby?.pid ?? null;
    const bareRss = bare.pid === undefined ? null : rssMb(bare.pid);
    const memory: Array<[string, number | null]> = [
      ['bare `node app.js` HTTP server (floor)', bareRss],
      ['gatehouse monitor', rssMb(state.pid)],
      ['gatehouse worker (echo agent, SQLite)', workerPid === null ? null : rssMb(workerPid)],
      ['gatehouse standby worker (booted, idle; `supervisor.standby`, on by default)', standbyPid === null ? null : rssMb(standbyPid)],
      ...(pm2 !== null ? [['PM2 daemon (God)', pm2Pids.daemon === null ? null : rssMb(pm2Pids.daemon)], ['PM2 app (`node app.js` under PM2)', pm2Pids.app === null ? null : rssMb(pm2Pids.app)]] as Array<[string, number | null]> : []),
    ];
    for (const [what, value] of memory) {
      rows.push({ measure: `RSS: ${what}`, value: `${mb(value)} MB`, ratio: bareRss === null || value === null ? '-' : `+${(value - bareRss).toFixed(1)} MB`, notes: `VmRSS after ${WARM_REQUESTS} requests and ${SETTLE_MS} ms idle` });
    }
  } catch (error) {
    rows.push({ measure: 'lean section', value: '-', ratio: '-', notes: `could not run: ${(error as Error).message}` });
    report.failures.push(`lean: ${(error as Error).message}`);
  }
}

export function renderLean(rows: readonly LeanRow[]): string {
  return [
    '| measure | value | vs floor | notes |',
    '|---|---:|---:|---|',
    ...rows.map((r) => `| ${r.measure} | ${r.value} | ${r.ratio} | ${r.notes} |`),
  ].join('\n');
}
