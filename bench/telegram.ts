// `npm run bench:telegram`: chat messages end to end through the Telegram channel, against the
// stateful fake Bot API (test/channels/fake-telegram.ts) and a real gateway (echo agent). For each
// scenario users write N messages spread over C chats, as fast as the fake takes them; the report
// gives messages per second (first update to last reply delivered), p50/p99 latency from the
// update to its delivered reply, and what went wrong: messages never answered, replies delivered
// more than once, parts the gateway itself counted as possible duplicates, dead letters.
// Scenarios: Telegram's own rate limits; no limits (a self-hosted Bot API server); injected faults
// (5xx, 429, connections cut before and after the request was acted on); a SIGKILL of the worker
// mid-stream. Not a test: nothing here asserts a speed.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeTelegram, type Chaos } from '../test/channels/fake-telegram.js';
import { platform } from '../src/platform/index.js';
import { GATEHOUSE } from './paths.js';
import { cli, ensureOk, onCleanup, runCleanups } from './processes.js';

const TOKEN = '987654321:AABenchTokenBenchTokenBenchToken_xyz';
const DELIVERY_TIMEOUT_MS = 180_000;
const NO_LIMITS = { perChatPerS: 1000, chatBurst: 1000, perGroupPerMin: 60_000, perBotPerS: 10_000 };

interface Scenario {
  readonly name: string;
  readonly messages: number;
  readonly chats: number;
  readonly limits: 'telegram' | 'none';
  readonly chaos?: readonly Chaos[];
  /** SIGKILL the worker once this many replies were delivered. */
  readonly killWorkerAfter?: number;
}

interface Result {
  readonly scenario: Scenario;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly possibleDuplicates: number;
  readonly deadLetters: number;
  readonly sendCalls: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function runScenario(s: Scenario): Promise<Result> {
  const fake = new FakeTelegram({ token: TOKEN, enforceLimits: s.limits === 'telegram' });
  await fake.start();
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-bench-tg-'));
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_HOME: home, NO_COLOR: '1' };
  const profile = join(home, 'profiles', 'default');
  mkdirSync(profile, { recursive: true, mode: 0o700 });
  writeFileSync(join(profile, 'telegram.token'), `${TOKEN}\n`);
  chmodSync(join(profile, 'telegram.token'), 0o600);
  const chats = Array.from({ length: s.chats }, (_, i) => 1000 + i);
  writeFileSync(join(profile, 'config.json'), JSON.stringify({
    api: { host: '127.0.0.1', port: 0 }, agent: { kind: 'echo', delayMs: 0 },
    channels: [{ kind: 'telegram', apiRoot: fake.url, allowedChats: chats, pollTimeoutS: 10, maxInFlight: 100, ...(s.limits === 'none' ? { limits: NO_LIMITS } : {}) }],
  }));
  const stop = async (): Promise<void> => {
    await cli(GATEHOUSE, ['stop', '--timeout', '5'], env, 30_000, true).catch(() => null);
    await fake.close();
    rmSync(home, { recursive: true, force: true });
  };
  onCleanup(`telegram ${s.name}`, stop);
  try {
    ensureOk('gatehouse start', await cli(GATEHOUSE, ['start'], env));
    const deadline = Date.now() + 30_000;
    while (fake.count('getUpdates') === 0 && Date.now() < deadline) await sleep(20);
    fake.setChaos(s.chaos ?? []);
    const writtenAt = new Map<string, number>();
    const started = Date.now();
    for (let i = 0; i < s.messages; i += 1) {
      const chat = chats[i % chats.length]!;
      const text = `m${i}`;
      writtenAt.set(`${chat}|echo: ${text}`, Date.now());
      fake.userSays(chat, text);
    }
    let killed = s.killWorkerAfter === undefined;
    const until = Date.now() + DELIVERY_TIMEOUT_MS;
    while (Date.now() < until) {
      const answered = new Set(fake.sent.map((m) => `${m.chatId}|${m.text}`).filter((k) => writtenAt.has(k)));
      if (!killed && fake.sent.length >= s.killWorkerAfter!) {
        const state = JSON.parse(readFileSync(join(profile, 'state.json'), 'utf8')) as { worker: { pid: number } | null };
        if (state.worker !== null) platform.signal(state.worker.pid, 'SIGKILL');
        killed = true;
      }
      if (answered.size === writtenAt.size) break;
      await sleep(20);
    }
    await sleep(500); // let late duplicates land
    const firstDelivery = new Map<string, number>();
    const deliveries = new Map<string, number>();
    for (const m of fake.sent) {
      const key = `${m.chatId}|${m.text}`;
      if (!firstDelivery.has(key)) firstDelivery.set(key, m.at);
      deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
    }
    const latencies = [...writtenAt].filter(([k]) => firstDelivery.has(k)).map(([k, at]) => firstDelivery.get(k)! - at).sort((a, b) => a - b);
    const last = Math.max(...firstDelivery.values());
    const status = JSON.parse((await cli(GATEHOUSE, ['status', '--json'], env)).stdout) as { channels: Array<{ outbox: { possibleDuplicates: number }; deadLetters: { count: number } }> };
    return {
      scenario: s,
      perSecond: (latencies.length / Math.max(1, last - started)) * 1000,
      p50: percentile(latencies, 50), p99: percentile(latencies, 99),
      lost: [...writtenAt.keys()].filter((k) => !firstDelivery.has(k)).length,
      duplicates: [...deliveries.values()].filter((n) => n > 1).length,
      possibleDuplicates: status.channels[0]?.outbox.possibleDuplicates ?? -1,
      deadLetters: status.channels[0]?.deadLetters.count ?? -1,
      sendCalls: fake.count('sendMessage'),
    };
  } finally {
    await stop();
  }
}

const FAULTS: readonly Chaos[] = [
  { method: 'sendMessage', fault: { kind: 'status', status: 502, description: 'Bad Gateway' }, probability: 0.05 },
  { method: 'sendMessage', fault: { kind: 'status', status: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1 }, probability: 0.02 },
  { method: 'sendMessage', fault: { kind: 'drop-after' }, probability: 0.01 },
  { method: 'sendMessage', fault: { kind: 'drop-before' }, probability: 0.01 },
  { method: 'getUpdates', fault: { kind: 'status', status: 500, description: 'Internal Server Error' }, probability: 0.05 },
];

function render(results: readonly Result[]): string {
  const header = ['scenario', 'messages', 'chats', 'msgs/s', 'p50 ms', 'p99 ms', 'lost', 'delivered twice', 'possible duplicates (counted)', 'dead letters', 'sendMessage calls'];
  const rows = results.map((r) => [r.scenario.name, r.scenario.messages, r.scenario.chats, r.perSecond.toFixed(1), Math.round(r.p50), Math.round(r.p99), r.lost, r.duplicates, r.possibleDuplicates, r.deadLetters, r.sendCalls].map(String));
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 1 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '600' }, out: { type: 'string' } } });
  const n = Number(values.messages);
  if (!Number.isInteger(n) || n < 10) throw new Error('--messages: an integer >= 10');
  const scenarios: Scenario[] = [
    { name: 'Telegram limits (30/s per bot, 1/s per chat)', messages: Math.min(n, 300), chats: 100, limits: 'telegram' },
    { name: 'no limits (self-hosted Bot API)', messages: n, chats: 50, limits: 'none' },
    { name: 'no limits + injected faults', messages: n, chats: 50, limits: 'none', chaos: FAULTS },
    { name: 'no limits + SIGKILL of the worker mid-stream', messages: n, chats: 50, limits: 'none', killWorkerAfter: Math.floor(n / 3) },
  ];
  const results: Result[] = [];
  try {
    for (const s of scenarios) {
      process.stderr.write(`[bench:telegram] ${s.name}\n`);
      results.push(await runScenario(s));
    }
  } finally {
    await runCleanups();
  }
  const text = `${render(results)}\n`;
  process.stdout.write(text);
  if (values.out !== undefined) writeFileSync(values.out, text);
  return results.some((r) => r.lost > 0) ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  process.stderr.write(`bench:telegram failed: ${String(error)}\n`);
  process.exitCode = 1;
});
