// The warm standby with real processes: it runs beside the serving worker without touching a
// message, and when the serving worker is SIGKILLed mid-message it takes over: the interrupted
// messages are answered once, by it, and nothing is lost. The agent is a real program that records
// which worker ran it (its parent pid) and when, so the test can tell who processed what.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestHome, eventually, healthz, isAlive, workerPid } from './harness.js';
import { gatewayProcesses } from './processes.js';

/** The agent: note (worker pid, message, time), take a while (so a kill lands mid-message), answer. */
const AGENT = `
const worker = process.ppid; // first: the worker that started it (a killed one's children go to init)
const { appendFileSync } = require('node:fs');
let text = '';
process.stdin.setEncoding('utf8').on('data', (c) => { text += c; }).on('end', () => {
  appendFileSync(process.argv[2], JSON.stringify({ worker, text, at: Date.now() }) + '\\n');
  setTimeout(() => process.stdout.write('answer to ' + text), Number(process.argv[3]));
});
`;
const AGENT_MS = 1_000;
/** Five per session, one session at a time each: about 5 s of work, so both kills land mid-work. */
const MESSAGES = 20;

interface Run { worker: number; text: string; at: number }

/** Every run of the agent. A run whose worker was SIGKILLed before the agent read its parent pid
 *  was reparented to init (pid 1): it was started by `orphanedBy`, the worker the test killed. */
function runs(file: string, orphanedBy = 1): Run[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Run)
      .map((r) => (r.worker === 1 ? { ...r, worker: orphanedBy } : r));
  } catch {
    return [];
  }
}

function standbyOf(home: TestHome): { pid: number; ready: boolean } | null {
  const state = home.state();
  return state.kind === 'ok' ? state.value.standby : null;
}

test('a standby booted while messages are open runs none; a SIGKILL of the serving worker mid-message: the standby takes over at once and every message is answered exactly once', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const agent = join(home.home, 'agent.cjs');
  const record = join(home.home, 'runs.jsonl');
  writeFileSync(agent, AGENT);
  home.writeConfig({ agent: { kind: 'command', command: process.execPath, args: [agent, record, String(AGENT_MS)] } });
  await home.start();
  const first = workerPid(home);
  const booted = await eventually('the standby to be ready', () => { const s = standbyOf(home); return s?.ready === true ? s.pid : null; });
  assert.notEqual(booted, first);
  assert.deepEqual(gatewayProcesses(home).workers.sort(), [first, booted].sort());

  const api = home.api();
  const ids: string[] = [];
  for (let i = 0; i < MESSAGES; i++) ids.push(await api.send(`s${i % 4}`, `m${i}`));
  await eventually('the agent to be running messages', () => runs(record).length >= 2);
  // The standby dies: its replacement boots while the serving worker holds open messages, which
  // are not its own to take (a worker that queued the store's open messages at boot would).
  process.kill(booted, 'SIGKILL');
  const standby = await eventually('a new standby to be ready', () => { const s = standbyOf(home); return s?.ready === true && s.pid !== booted ? s.pid : null; });
  const open = home.messages().filter((m) => m.role === 'user' && m.status !== 'done').length;
  assert.ok(open > 0, 'messages were still open when the new standby was ready (raise MESSAGES or AGENT_MS if not)');
  assert.equal(home.lifecycle().some((e) => e.event === 'standby_promoted'), false, 'the death of the standby was not a crash');
  // Mid-message: the agent has begun some of them under the serving worker, not all are answered.
  const killedAt = Date.now();
  process.kill(first, 'SIGKILL');
  const servedBy = await eventually('the standby to answer', async () => {
    const h = await healthz(home.apiUrl()).catch(() => null);
    return h?.status === 200 && h.body.workerPid !== first ? Number(h.body.workerPid) : null;
  });
  assert.equal(servedBy, standby, 'the standby, not a new worker, took over');
  assert.ok(home.lifecycle().some((e) => e.event === 'standby_promoted' && e.workerPid === standby));

  await eventually('every message answered', () => {
    const users = home.messages().filter((m) => m.role === 'user');
    return users.length === MESSAGES && users.every((m) => m.status === 'done');
  }, 60_000);
  const stored = home.messages();
  const replies = new Map<string, number>();
  for (const m of stored.filter((x) => x.role === 'assistant')) replies.set(m.reply_to ?? '', (replies.get(m.reply_to ?? '') ?? 0) + 1);
  assert.deepEqual(ids.filter((id) => replies.get(id) !== 1), [], `each message has exactly one reply: ${JSON.stringify([...replies])}`);

  // Who ran what: nothing by the standby before the kill; after it, only the standby.
  const all = runs(record, first);
  const byStandbyBefore = all.filter((r) => r.worker === standby && r.at < killedAt);
  assert.deepEqual(byStandbyBefore, [], 'the standby ran nothing while it stood by');
  assert.deepEqual(all.filter((r) => r.worker !== first && r.worker !== standby), [], 'no other worker ran anything');
  assert.ok(all.some((r) => r.worker === standby), 'the standby resumed the interrupted messages');
  // A message runs again only when its first run was cut off by the kill: at most twice, once per worker.
  for (const text of new Set(all.map((r) => r.text))) {
    const of = all.filter((r) => r.text === text);
    assert.ok(of.length <= 2 && new Set(of.map((r) => r.worker)).size === of.length, `${text} ran ${JSON.stringify(of)}`);
  }

  // A new standby boots beside the promoted worker, and it too stays idle.
  const next = await eventually('a new standby', () => { const s = standbyOf(home); return s?.ready === true && s.pid !== standby ? s.pid : null; });
  await sleep(300);
  assert.deepEqual(runs(record).filter((r) => r.worker === next), []);
  assert.equal(home.lifecycle().some((e) => e.event === 'breaker_open'), false);
  assert.ok(isAlive(next));
});

test('with "supervisor": {"standby": false} no standby runs, and a crash is answered by a new worker', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ supervisor: { standby: false } });
  await home.start();
  const first = workerPid(home);
  await sleep(1_000);
  assert.deepEqual(gatewayProcesses(home).workers, [first]);
  assert.equal(standbyOf(home), null);
  process.kill(first, 'SIGKILL');
  const next = await eventually('a new worker to answer', async () => {
    const h = await healthz(home.apiUrl()).catch(() => null);
    return h?.status === 200 && h.body.workerPid !== first ? Number(h.body.workerPid) : null;
  });
  assert.equal(home.lifecycle().some((e) => e.event === 'standby_promoted'), false);
  await sleep(500);
  assert.deepEqual(gatewayProcesses(home).workers, [next]);
});
