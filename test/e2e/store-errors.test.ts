// The session database cannot take a write: locked by another process, read-only, or its disk full.
// Every POST answers 503 with a code naming the cause and Retry-After (never 500 internal), status
// --deep shows it, nothing half-written is left, and writes work again once the cause is gone.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { TestHome, eventually, isAlive, workerPid } from './harness.js';
import { needsTmpfs, smallDisk } from './small-disk.js';

const isRoot = process.getuid?.() === 0;

interface Post { status: number; code: string | null; retryAfter: string | null }

async function post(home: TestHome, text: string, idempotencyKey?: string): Promise<Post> {
  const key = idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey };
  const response = await fetch(`${home.apiUrl()}/v1/sessions/s1/messages`, {
    method: 'POST', headers: { authorization: `Bearer ${home.token()}`, 'content-type': 'application/json', ...key },
    body: JSON.stringify({ text }), signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { error?: { code?: string } };
  return { status: response.status, code: body.error?.code ?? null, retryAfter: response.headers.get('retry-after') };
}

async function storeProbe(home: TestHome): Promise<{ ok: boolean; detail: string }> {
  const status = await home.cli(['status', '--deep', '--json']);
  const probe = (JSON.parse(status.stdout) as { probes: Array<{ id: string; ok: boolean; detail: string }> }).probes.find((p) => p.id === 'store');
  assert.ok(probe !== undefined, status.stdout);
  return probe;
}

async function expectCause(home: TestHome, answer: Post, code: string): Promise<void> {
  assert.deepEqual([answer.status, answer.code], [503, code]);
  assert.match(answer.retryAfter ?? '', /^\d+$/, 'with Retry-After');
  const probe = await storeProbe(home);
  assert.equal(probe.ok, false);
  assert.match(probe.detail, new RegExp(code));
}

async function expectRecovered(home: TestHome): Promise<void> {
  // A keep-alive connection may still reach a worker that is handing over: it answers, then closes.
  const again = await eventually('a POST to be accepted again', async () => { const p = await post(home, 'after the cause is gone'); return p.status === 202 ? p : null; }, 15_000);
  assert.equal(again.status, 202);
  assert.equal((await storeProbe(home)).ok, true);
  const texts = home.messages().filter((m) => m.role === 'user').map((m) => m.text);
  assert.ok(texts.includes('after the cause is gone'));
}

test('a database locked by another process (BEGIN EXCLUSIVE): 503 store_locked, shown by status, then writes again', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  assert.equal((await post(home, 'before')).status, 202);
  const other = new DatabaseSync(home.paths().database, { timeout: 10_000 }); // waits out the worker's own write (the reply)
  t.after(() => { if (other.isOpen) other.close(); });
  other.exec('BEGIN EXCLUSIVE');
  await expectCause(home, await post(home, 'while locked'), 'store_locked');
  other.exec('ROLLBACK');
  other.close();
  await expectRecovered(home);
  assert.ok(!home.messages().some((m) => m.text === 'while locked'), 'the refused message was not stored');
});

function canChattr(t: TestContext, file: string): boolean {
  const set = spawnSync('chattr', ['+i', file], { encoding: 'utf8' });
  if (set.status === 0) return true;
  t.skip(`chattr +i does not work here: ${set.stderr.trim() || set.error?.message}`);
  return false;
}

test('a read-only database (immutable file): the gateway starts, POSTs answer 503 store_read_only, reads still work', { skip: process.platform !== 'linux' ? 'chattr is Linux' : !isRoot ? 'needs root for chattr +i' : false }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  assert.equal((await post(home, 'before')).status, 202);
  assert.equal((await home.cli(['stop'])).code, 0);
  if (!canChattr(t, home.paths().database)) return;
  t.after(() => { spawnSync('chattr', ['-i', home.paths().database]); });
  await home.start();
  await expectCause(home, await post(home, 'read-only'), 'store_read_only');
  assert.equal((await home.api().session('s1')).messages.length, 2, 'reads still work: the old message and its reply');
  spawnSync('chattr', ['-i', home.paths().database]);
  // SQLite opened it read-only: a new worker opens it again, read-write.
  assert.equal((await home.cli(['restart'])).code, 0);
  await expectRecovered(home);
});


test('a full disk under the database: 503 store_full, shown by status, then writes again once space is freed', needsTmpfs, async (t) => {
  const home = new TestHome();
  home.writeConfig({});
  const disk = await smallDisk(t, home);
  if (disk === null) return;
  disk.watch(await home.start());
  disk.watch(workerPid(home));
  assert.equal((await post(home, 'before')).status, 202);
  disk.fill();
  const big = 'x'.repeat(90_000);
  let answer: Post = { status: 202, code: null, retryAfter: null };
  for (let i = 0; i < 40 && answer.status === 202; i++) answer = await post(home, big);
  await expectCause(home, answer, 'store_full');
  disk.free();
  await expectRecovered(home);
});

// A write in a transaction (a keyed POST: the key and its message commit together) that meets the
// full disk: SQLite has already rolled the transaction back, and a second ROLLBACK would throw "no
// transaction is active", a SQL logic error that the API answers 500 (internal).
test('a full disk under a transaction (a keyed POST): 503 store_full, never 500, the same worker keeps serving', needsTmpfs, async (t) => {
  const home = new TestHome();
  home.writeConfig({});
  const disk = await smallDisk(t, home);
  if (disk === null) return;
  disk.watch(await home.start());
  const worker = workerPid(home);
  disk.watch(worker);
  assert.equal((await post(home, 'before')).status, 202);
  disk.fill();
  const big = 'x'.repeat(90_000);
  let answer: Post = { status: 202, code: null, retryAfter: null };
  for (let i = 0; i < 40 && answer.status === 202; i++) answer = await post(home, big, `key-${i}`);
  assert.notEqual(answer.code, 'internal', 'a full disk is not a bug');
  await expectCause(home, answer, 'store_full');
  assert.equal(workerPid(home), worker, 'the worker did not restart');
  assert.ok(isAlive(worker));
  disk.free();
  await expectRecovered(home);
  assert.equal(workerPid(home), worker, 'the same worker serves again');
});

// The answer is ready but the disk filled meanwhile: SQLite refuses the transaction that stores the
// reply, and then the mark that would fail the message too. The worker waits it out with the answer
// in hand: it keeps running and stores that answer once there is room, without asking the agent again.
// The agent answers only once a gate file exists (on the normal disk), so the disk is full by then.
const GATED_AGENT = `const { existsSync } = require('node:fs');
let text = '';
process.stdin.on('data', (c) => { text += c; });
process.stdin.on('end', () => {
  const gate = process.argv[2];
  const wait = () => (existsSync(gate) ? process.stdout.write('echo: ' + text) : setTimeout(wait, 20));
  wait();
});
`;

test('a full disk when the reply is committed: the same worker keeps running and stores the reply once space is freed', needsTmpfs, async (t) => {
  const home = new TestHome();
  const agent = join(home.home, 'gated-agent.cjs');
  const gate = join(home.home, 'gate');
  writeFileSync(agent, GATED_AGENT);
  home.writeConfig({ agent: { kind: 'command', command: process.execPath, args: [agent, gate] } });
  const disk = await smallDisk(t, home);
  if (disk === null) return;
  disk.watch(await home.start());
  const worker = workerPid(home);
  disk.watch(worker);
  const text = 'y'.repeat(95_000); // its echo needs pages a full disk cannot give
  assert.equal((await post(home, text)).status, 202);
  // The agent has it (and waits for the gate): only the reply's commit is left to meet the full disk.
  await eventually('the message to be processing', () => home.messages().find((m) => m.role === 'user')?.status === 'processing');
  disk.fill();
  writeFileSync(gate, '');
  // Either the worker says it waits the full disk out, or it died of it.
  await eventually('the reply commit to meet the full disk', async () => !isAlive(worker) || (await home.cli(['logs', '-n', '50'])).stdout.includes('the answer could not be stored'), 30_000);
  assert.equal(workerPid(home), worker, 'the worker did not restart');
  assert.ok(isAlive(worker));
  assert.equal(home.messages().find((m) => m.role === 'user')?.status, 'processing', 'still open, not failed');
  disk.free();
  const replies = await eventually('the reply to be stored', () => { const r = home.messages().filter((m) => m.role === 'assistant'); return r.length > 0 ? r : null; }, 45_000);
  assert.deepEqual(replies.map((m) => m.text), [`echo: ${text}`]);
  assert.equal(home.messages().find((m) => m.role === 'user')?.status, 'done');
  assert.equal(workerPid(home), worker, 'the same worker stored it');
});
