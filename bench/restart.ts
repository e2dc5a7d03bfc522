// `npm run bench`: how Gatehouse and PM2 behave under load while their app is restarted or killed.
//
// For each scenario a separate load process (dist/bench/load.js) keeps a few keep-alive connections
// busy against 127.0.0.1 (GET /healthz and POST /v1/sessions/{id}/messages at a bounded rate);
// after a warm-up the orchestrator causes the event (`gatehouse restart`, SIGKILL of the worker,
// `pm2 restart`, `pm2 reload`, SIGKILL of the app), waits until a new process answers, lets the load
// run a little longer, and computes failed requests, the longest interval without a successful
// answer, and the time until it answered again (bench/measure.ts). Start times (spawn to first 200)
// of a bare `node app.js` (the floor), of `gatehouse start` and of `pm2 start` come first.
//
// Everything is bounded: each wait, each CLI call and each load run has a deadline; every process
// started here is killed in `finally` (identity-checked), PM2 gets `pm2 kill` with its own
// PM2_HOME, and temporary directories are removed. Exit 1 when a scenario could not run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { platform, type ProcessIdentity } from '../src/platform/index.js';
import { killProcessTree } from '../src/runtime/process-tree.js';
import { now } from './clock.js';
import type { LoadConfig, LoadToParent } from './load.js';
import { STALL_FLOOR_MS, computeMetrics, median, renderTable, rowFromMetrics, type Row, type Sample } from './measure.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root: dist/bench/ -> ../.. */
const ROOT = resolve(HERE, '..', '..');
const GATEHOUSE = join(ROOT, 'bin', 'gatehouse.js');
const LOAD = join(HERE, 'load.js');
const HOST = '127.0.0.1';

const WARMUP_MS = 1_000;
const TAIL_MS = 1_500;
const RECOVERY_TIMEOUT_MS = 20_000;
const LOAD_MAX_MS = 40_000;
const CLI_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 30_000;
const FLOOR_RUNS = 3;

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started here is registered, and torn down in reverse order.

type Cleanup = { readonly label: string; readonly run: () => Promise<void> | void };
const cleanups: Cleanup[] = [];

function onCleanup(label: string, run: () => Promise<void> | void): void {
  cleanups.push({ label, run });
}

/** The promise, or undefined once ms passed; the timer does not keep the process alive after. */
async function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolveLate) => { timer = setTimeout(() => resolveLate(undefined), ms); });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Set by SIGINT/SIGTERM: nothing new is started, and the programs still running are killed. */
let aborted = false;
const running = new Set<ChildProcess>();

/** Every process the benchmark starts goes through here, so an abort can stop them all. */
function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

function startProcess(command: string, args: readonly string[], options: Parameters<typeof spawn>[2], forCleanup = false): ChildProcess {
  if (aborted && !forCleanup) throw new Error('aborted');
  return track(spawn(command, args, options));
}

function abortRunning(): void {
  aborted = true;
  for (const child of running) killObserved(identityOf(child.pid));
}

let cleaning: Promise<void> | null = null;

/** Run every cleanup once, newest first; a second caller (a signal during the run) waits for the first. */
function runCleanups(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const c = cleanups.pop() as Cleanup;
      try {
        await bounded(Promise.resolve(c.run()), 30_000);
      } catch (error) {
        process.stderr.write(`cleanup (${c.label}) failed: ${String(error)}\n`);
      }
    }
  })().finally(() => { cleaning = null; });
  return cleaning;
}

/** Kill a process tree we observed, only while its pid still names the same process. */
function killObserved(identity: ProcessIdentity | null): void {
  if (identity !== null) killProcessTree(identity, 'SIGKILL');
}

function identityOf(pid: number | undefined): ProcessIdentity | null {
  if (pid === undefined) return null;
  const startTime = platform.processStartTime(pid);
  return startTime === null ? null : { pid, startTime };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** One GET /healthz on a fresh connection; the status, or null when nothing answered. */
function probe(url: string, timeoutMs = 500): Promise<number | null> {
  return new Promise((resolveStatus) => {
    const req = request(`${url}/healthz`, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? null));
      res.on('error', () => resolveStatus(null));
    });
    req.on('timeout', () => { req.destroy(); resolveStatus(null); });
    req.on('error', () => resolveStatus(null));
    req.end();
  });
}

/** Poll /healthz every few ms until a 200; the time of that answer, or null past the deadline. */
async function first200(url: string, timeoutMs: number, exited?: () => boolean): Promise<number | null> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    if ((await probe(url)) === 200) return now();
    if (exited?.() === true) return null;
    await sleep(5);
  }
  return null;
}

interface CliRun {
  readonly child: ChildProcess;
  readonly startedAt: number;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; endedAt: number }>;
}

/** Run a program with the benchmark's Node; bounded: SIGKILL after timeoutMs. */
function runNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = CLI_TIMEOUT_MS, forCleanup = false): CliRun {
  const startedAt = now();
  const child = startProcess(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() }, forCleanup);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; endedAt: number }>((resolveDone) => {
    const timer = setTimeout(() => {
      stderr += `\n[bench] killed after ${timeoutMs} ms`;
      killObserved(identityOf(child.pid));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveDone({ code, signal, stdout, stderr, endedAt: now() });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolveDone({ code: null, signal: null, stdout, stderr: `${stderr}${error.message}`, endedAt: now() });
    });
  });
  return { child, startedAt, done };
}

async function cli(script: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = CLI_TIMEOUT_MS, forCleanup = false): Promise<{ ms: number; stdout: string; stderr: string; code: number | null }> {
  const run = runNode(script, args, env, timeoutMs, forCleanup);
  const result = await run.done;
  return { ms: result.endedAt - run.startedAt, stdout: result.stdout, stderr: result.stderr, code: result.code };
}

function ensureOk(what: string, result: { code: number | null; stdout: string; stderr: string }): void {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}: ${(result.stderr || result.stdout).trim().slice(-400)}`);
}

function round(ms: number): number {
  return Math.round(ms);
}

// ---------------------------------------------------------------------------------------------
// The trivial app: the same routes as the gateway, for `node app.js` and PM2.

const APP_SOURCE = `'use strict';
// A trivial HTTP app with Gatehouse's routes, for the benchmark's floor and for PM2.
const http = require('node:http');
let n = 0;
function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return send(res, 200, { ok: true, pid: process.pid });
  if (req.method === 'POST' && /^\\/v1\\/sessions\\/[^/]+\\/messages$/.test(req.url || '')) {
    req.resume();
    req.on('end', () => send(res, 202, { messageId: process.pid + '-' + (++n) }));
    return;
  }
  send(res, 404, { error: { code: 'not_found' } });
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT), '127.0.0.1');
// PM2's documented graceful shutdown: stop accepting, let in-flight requests finish, then exit.
process.on('SIGINT', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 1000).unref();
});
`;

function writeApp(dir: string): string {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-app', private: true, type: 'commonjs' }));
  const file = join(dir, 'app.js');
  writeFileSync(file, APP_SOURCE);
  return file;
}

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

interface LoadOptions {
  readonly connections: number;
  readonly intervalMs: number;
  /** Where to write each scenario's raw samples (JSON), for a closer look; null: nowhere. */
  readonly samplesDir: string | null;
}

interface EventOutcome {
  /** When the orchestrator considers the event over (the CLI returned); recovery is awaited after it. */
  readonly doneAt: number;
  readonly notes: string[];
  /** When the event really happened, if not when cause() was called (a kill after a pid lookup). */
  readonly eventAt?: number;
  /** The event did not happen as intended (the CLI failed): the scenario counts as not run. */
  readonly error?: string;
}

async function underLoad(
  tool: string, scenario: string, url: string, token: string | null, load: LoadOptions,
  cause: (calledAt: number) => Promise<EventOutcome>,
): Promise<Row> {
  const run = LoadRun.start({ url, token, connections: load.connections, intervalMs: load.intervalMs, maxDurationMs: LOAD_MAX_MS, requestTimeoutMs: 5_000 });
  await run.waitUntil('a first successful answer', () => run.firstOkEnd !== null, 10_000);
  await sleep(WARMUP_MS);
  const before = new Set(run.servedBy.keys());
  const called = now();
  const outcome = await cause(called);
  const event = outcome.eventAt ?? called;
  // Recovered: a process that was not serving before answered, and it answered after the last failure.
  let recoveryNote: string | null = null;
  try {
    await run.waitUntil('a new process to answer', () => {
      const fresh = [...run.servedBy].some(([pid, at]) => !before.has(pid) && at > event);
      return fresh && run.lastOkEnd !== null && run.lastOkEnd > outcome.doneAt && run.lastOkEnd > (run.lastFailEnd ?? 0);
    }, RECOVERY_TIMEOUT_MS);
  } catch (error) {
    recoveryNote = `no recovery seen: ${(error as Error).message}`;
  }
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

// ---------------------------------------------------------------------------------------------
// The scenarios

interface Report {
  readonly rows: Row[];
  readonly failures: string[];
}

function notRun(tool: string, scenario: string, error: unknown): Row {
  const partial = (error as { row?: Row }).row;
  const message = `could not run: ${(error as Error).message ?? String(error)}`;
  if (partial !== undefined) return { ...partial, notes: [partial.notes, message].filter((n) => n !== '').join('; ') };
  return { tool, scenario, requests: null, failed: null, http503: null, longestGapMs: null, answeredAgainMs: null, notes: message };
}

async function attempt(report: Report, tool: string, scenario: string, body: () => Promise<Row>): Promise<boolean> {
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

async function floor(report: Report, appDir: string, appFile: string): Promise<void> {
  await attempt(report, 'node', 'bare `node app.js` start, spawn → first 200 (floor)', async () => {
    const times: number[] = [];
    for (let i = 0; i < FLOOR_RUNS; i++) {
      const port = await freePort();
      const started = now();
      const child = startProcess(process.execPath, [appFile], { cwd: appDir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
      try {
        const at = await first200(`http://${HOST}:${port}`, START_TIMEOUT_MS, () => child.exitCode !== null);
        if (at === null) throw new Error('the app never answered 200');
        times.push(at - started);
      } finally {
        child.kill('SIGKILL');
      }
    }
    return startRow('node', `bare \`node app.js\` start, spawn → first 200 (floor)`, median(times), [`median of ${FLOOR_RUNS}: ${times.map(round).join(', ')} ms`]);
  });
}

function startRow(tool: string, scenario: string, ms: number, notes: string[]): Row {
  return { tool, scenario, requests: null, failed: null, http503: null, longestGapMs: null, answeredAgainMs: ms, notes: notes.join('; ') };
}

interface StateFile {
  api: { url: string } | null;
  worker: { pid: number; startTime: number } | null;
  pid: number;
  startTime: number;
}

async function gatehouse(report: Report, load: LoadOptions): Promise<void> {
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
    return startRow('gatehouse', '`gatehouse start`, spawn → first 200', at - run.startedAt, [`the CLI returned after ${round(result.endedAt - run.startedAt)} ms (it waits a 1 s confirm window)`]);
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

function findPm2(): { bin: string; version: string } | null {
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

async function pm2(report: Report, load: LoadOptions, appDir: string, appFile: string, found: { bin: string; version: string } | null): Promise<void> {
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

// ---------------------------------------------------------------------------------------------

function machine(pm2Version: string | null, load: LoadOptions): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `Machine: ${availableParallelism()} CPUs (${cpu}), ${process.platform} ${process.arch}, Node ${process.version}, PM2 ${pm2Version ?? 'not installed'}.`,
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

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      connections: { type: 'string', default: '4' },
      interval: { type: 'string', default: '8' },
      samples: { type: 'string' },
    },
  });
  const load: LoadOptions = { connections: Number(values.connections), intervalMs: Number(values.interval), samplesDir: values.samples ?? null };
  if (load.samplesDir !== null) mkdirSync(load.samplesDir, { recursive: true });
  if (!Number.isInteger(load.connections) || load.connections < 1 || load.connections > 16) throw new Error('--connections: 1..16');
  if (!Number.isFinite(load.intervalMs) || load.intervalMs < 1 || load.intervalMs > 1000) throw new Error('--interval: 1..1000 ms');

  const benchStarted = now();
  const report: Report = { rows: [], failures: [] };
  const found = findPm2();
  const appDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-app-'));
  onCleanup('app dir', () => rmSync(appDir, { recursive: true, force: true }));
  const appFile = writeApp(appDir);

  try {
    await floor(report, appDir, appFile);
    await gatehouse(report, load);
    await pm2(report, load, appDir, appFile, found);
  } finally {
    await runCleanups();
  }

  const text = [
    `## Restart benchmark (${new Date().toISOString().slice(0, 10)}, ${Math.round((now() - benchStarted) / 1000)} s)`,
    '',
    machine(found?.version ?? null, load),
    '',
    renderTable(report.rows),
    '',
    LEGEND,
    '',
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (values.out !== undefined) writeFileSync(values.out, text);
  if (report.failures.length > 0) {
    process.stderr.write(`[bench] ${report.failures.length} scenario(s) could not run:\n${report.failures.map((f) => `  - ${f}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`[bench] ${signal}: cleaning up\n`);
    abortRunning();
    void runCleanups().finally(() => process.exit(130));
  });
}

main()
  .then((code) => { process.exitCode = code; })
  .catch(async (error: unknown) => {
    process.stderr.write(`[bench] failed: ${(error as Error).stack ?? String(error)}\n`);
    await runCleanups();
    process.exitCode = 1;
  });
