// Chaos: messages under load from a separate process (Idempotency-Key, retried with the same key)
// while random faults hit the gateway: worker and monitor SIGKILL, worker SIGSTOP/SIGCONT, restart,
// restart --full, stop + start, POST /v1/admin/restart (with and without full=1), two concurrent
// starts. Then count lost, unanswered, failed and duplicated messages (all must be 0) and hold
// status --json against the process table. Seeded: GATEHOUSE_CHAOS_SEED=N replays a run's faults;
// GATEHOUSE_CHAOS_MS sets how long faults are injected (default 80 s, to keep the suite bounded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { collect, TestHome, eventually, healthz, workerPid } from './harness.js';
import { gatewayProcesses } from './processes.js';
import type { Accepted } from './chaos-load.js';

const CHAOS_MS = Number(process.env.GATEHOUSE_CHAOS_MS ?? 80_000);
const LOAD = fileURLToPath(new URL('./chaos-load.js', import.meta.url));
/** Worker kills per monitor within a minute stay under the crash-loop breaker (5 in 60 s). */
const MAX_WORKER_KILLS_PER_MINUTE = 3;
const RECOVERY_MS = 45_000;
/** This share of faults is followed by the next one without waiting for the gateway to answer. */
const BACK_TO_BACK = 0.25;

/** mulberry32: small, seedable, good enough to pick faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Status { running: boolean; pid: number | null; worker: { pid: number | null } | null; standby?: { pid: number } | null }

class Chaos {
  readonly log: string[] = [];
  readonly downtimes: string[] = [];
  private workerKills: number[] = [];
  private monitorPid = 0;

  constructor(private readonly home: TestHome, private readonly url: string, readonly random: () => number) {}

  private async answering(): Promise<{ pid: number; workerPid: number } | null> {
    const h = await healthz(this.url).catch(() => null);
    return h?.status === 200 ? { pid: Number(h.body.pid), workerPid: Number(h.body.workerPid) } : null;
  }

  /** After a fault: the gateway must answer again; a long outage is recorded (and mended, to go on). */
  async recover(fault: string): Promise<void> {
    const up = await eventually(`the gateway to answer after ${fault}`, () => this.answering(), RECOVERY_MS).catch(() => null);
    if (up === null) {
      this.downtimes.push(`${fault}: not answering after ${RECOVERY_MS} ms`);
      await this.home.cli(['start']);
      return;
    }
    if (up.pid !== this.monitorPid) this.workerKills = [];
    this.monitorPid = up.pid;
  }

  private workerKillAllowed(): boolean {
    const now = Date.now();
    this.workerKills = this.workerKills.filter((at) => now - at < 60_000);
    return this.workerKills.length < MAX_WORKER_KILLS_PER_MINUTE;
  }

  /** The worker status names, if the process table agrees it is this home's worker (never a reused pid). */
  private signalWorker(signal: NodeJS.Signals): number | null {
    let pid: number;
    try { pid = workerPid(this.home); } catch { return null; }
    if (!gatewayProcesses(this.home).workers.includes(pid)) return null;
    process.kill(pid, signal);
    return pid;
  }

  /** The monitor alone: its worker must notice (IPC disconnect) and exit by itself. */
  private killMonitor(): void {
    if (gatewayProcesses(this.home).monitors.includes(this.monitorPid)) process.kill(this.monitorPid, 'SIGKILL');
  }

  private async admin(full: boolean): Promise<number> {
    const response = await fetch(`${this.url}/v1/admin/restart${full ? '?full=1' : ''}`, {
      method: 'POST', headers: { authorization: `Bearer ${this.home.token()}` }, signal: AbortSignal.timeout(10_000),
    });
    return response.status;
  }

  /** One random fault, named in the log; now and then the next one follows before the gateway is back. */
  async inject(): Promise<void> {
    const faults: Array<[string, () => Promise<unknown>]> = [
      ['monitor SIGKILL, start', async () => { this.killMonitor(); await sleep(200); return this.home.cli(['start']); }],
      ['worker SIGSTOP/SIGCONT', async () => { const pid = this.signalWorker('SIGSTOP'); await sleep(500 + this.random() * 1_500); if (pid !== null) process.kill(pid, 'SIGCONT'); }],
      ['restart', () => this.home.cli(['restart'])],
      ['restart --full', () => this.home.cli(['restart', '--full'], { timeoutMs: 90_000 })],
      ['stop, start', async () => { await this.home.cli(['stop']); return this.home.cli(['start']); }],
      ['POST /v1/admin/restart', () => this.admin(false)],
      ['POST /v1/admin/restart?full=1', async () => { const old = this.monitorPid; await this.admin(true); await eventually('a new monitor', async () => (await this.answering())?.pid !== old, RECOVERY_MS).catch(() => null); }],
      ['stop, two concurrent starts', async () => { await this.home.cli(['stop']); return Promise.all([this.home.cli(['start']), this.home.cli(['start'])]); }],
    ];
    if (this.workerKillAllowed()) faults.push(['worker SIGKILL', async () => { this.workerKills.push(Date.now()); this.signalWorker('SIGKILL'); }]);
    const [name, run] = faults[Math.floor(this.random() * faults.length)]!;
    const hurry = this.random() < BACK_TO_BACK;
    this.log.push(`${new Date().toISOString()} ${name}${hurry ? ' (next fault at once)' : ''}`);
    // A fault that finds the gateway down (an admin POST refused) is part of the chaos, not a failure.
    await run().catch((error: unknown) => this.log.push(`  ${name}: ${String(error)}`));
    if (!hurry) await this.recover(name);
  }
}

test('chaos: faults under load lose nothing, answer everything once, and status matches the processes', { timeout: CHAOS_MS + 150_000 }, async (t) => {
  const seed = Number(process.env.GATEHOUSE_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const tell = `chaos seed ${seed} (rerun: GATEHOUSE_CHAOS_SEED=${seed})`;
  console.log(tell);
  t.diagnostic(tell);
  const home = new TestHome();
  t.after(() => home.cleanup());
  // A fixed port: clients find every new monitor where the old one was. A short drain keeps stops quick.
  home.writeConfig({ api: { port: await freePort() }, agent: { kind: 'echo', delayMs: 20 }, drain: { timeoutMs: 2_000 } });
  await home.start();
  const url = home.apiUrl();
  const load = spawn(process.execPath, [LOAD, url, home.paths().token, '4'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const loadDone = collect(load, CHAOS_MS + 120_000);
  const chaos = new Chaos(home, url, prng(seed));
  await chaos.recover('boot');
  const until = Date.now() + CHAOS_MS;
  while (Date.now() < until) {
    await chaos.inject();
    await sleep(300 + chaos.random() * 1_500);
  }
  load.stdin.end('stop\n');
  const result = await loadDone;
  const context = `${tell}\nfaults:\n${chaos.log.join('\n')}\nload stderr: ${result.stderr}`;
  assert.equal(result.code, 0, context);
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Accepted | { error: string } | { summary: true; retried: unknown });
  const accepted = lines.filter((l): l is Accepted => 'messageId' in l);
  const errors = lines.filter((l): l is { error: string } => 'error' in l).map((l) => l.error);
  t.diagnostic(`${chaos.log.length} faults, ${accepted.length} messages, retried: ${JSON.stringify(lines.at(-1))}`);
  assert.deepEqual(chaos.downtimes, [], context);
  assert.deepEqual(errors, [], context);
  assert.ok(accepted.length > 100, `the load ran (${accepted.length} messages)`);

  const open = new Set(['queued', 'processing', 'resume_pending']);
  await eventually('every message closed', () => home.messages().filter((m) => m.role === 'user' && open.has(m.status)).length === 0, 60_000).catch(() => null);
  const stored = home.messages();
  const users = stored.filter((m) => m.role === 'user');
  const byId = new Map(users.map((m) => [m.id, m]));
  const lost = accepted.filter((a) => byId.get(a.messageId)?.text !== a.text).map((a) => a.key);
  const textCounts = new Map<string, number>();
  for (const m of users) textCounts.set(m.text, (textCounts.get(m.text) ?? 0) + 1);
  const storedTwice = [...textCounts].filter(([, n]) => n > 1).map(([text]) => text);
  const replyCounts = new Map<string, number>();
  for (const m of stored.filter((x) => x.role === 'assistant')) replyCounts.set(m.reply_to ?? '', (replyCounts.get(m.reply_to ?? '') ?? 0) + 1);
  const answeredTwice = [...replyCounts].filter(([, n]) => n > 1).map(([id]) => id);
  const unanswered = users.filter((m) => open.has(m.status) || !replyCounts.has(m.id)).filter((m) => m.status !== 'failed').map((m) => `${m.text}: ${m.status}`);
  const failed = users.filter((m) => m.status === 'failed').map((m) => m.text);
  const unknown = users.filter((m) => !accepted.some((a) => a.messageId === m.id)).map((m) => m.text);
  t.diagnostic(`stored ${users.length}, lost ${lost.length}, unanswered ${unanswered.length}, failed ${failed.length}, stored twice ${storedTwice.length}, answered twice ${answeredTwice.length}`);
  assert.deepEqual({ lost, unanswered, failed, storedTwice, answeredTwice, unknown }, { lost: [], unanswered: [], failed: [], storedTwice: [], answeredTwice: [], unknown: [] }, context);

  // Settled: status names the one monitor, the one serving worker and the standby the OS runs.
  await eventually('status to agree with the process table', async () => {
    const status = JSON.parse((await home.cli(['status', '--json'])).stdout) as Status;
    const table = gatewayProcesses(home);
    const named = [status.worker?.pid, ...(status.standby ? [status.standby.pid] : [])].sort();
    return status.running && table.monitors.length === 1 && table.monitors[0] === status.pid
      && status.standby !== null && JSON.stringify([...table.workers].sort()) === JSON.stringify(named);
  }, 20_000).catch((error: unknown) => assert.fail(`${String(error)}: ${JSON.stringify(gatewayProcesses(home))}\n${context}`));
});
