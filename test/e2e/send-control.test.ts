// `gatehouse send` over the control endpoint (src/control/send-message.ts): the monitor passes the
// message to its worker, which commits it under the CLI's key. Broken between the steps: a worker
// that stops answering and is killed while a send waits on it; the send goes again under its key,
// and the session holds the message once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, eventually, isAlive, TestHome, workerPid } from './harness.js';

test('send: one message over the control endpoint, its id printed; --wait prints the reply; bad input is refused and stores nothing', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  const sent = await home.cli(['send', 'chat-1', 'hello']);
  assert.equal(sent.code, 0, sent.stderr);
  const id = sent.stdout.trim();
  const users = home.messages().filter((m) => m.role === 'user');
  assert.deepEqual(users.map((m) => [m.id, m.session_id, m.text]), [[id, 'chat-1', 'hello']]);
  const waited = await home.cli(['send', 'chat-1', 'ping', '--wait']);
  assert.equal(waited.code, 0, waited.stderr);
  assert.equal(waited.stdout.trim(), 'echo: ping');
  const refused = await home.cli(['send', 'not a session id', 'hello']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /refused the message \(bad_session_id\)/);
  assert.equal(home.messages().filter((m) => m.role === 'user').length, 2, 'the refused message was not stored');
  // Longer than a control line: over the HTTP API, which takes up to 100,000 characters.
  const long = 'y'.repeat(90_000);
  const sentLong = await home.cli(['send', 'chat-1', long]);
  assert.equal(sentLong.code, 0, sentLong.stderr);
  assert.deepEqual(home.messages().filter((m) => m.id === sentLong.stdout.trim()).map((m) => m.text.length), [90_000]);
});

test('the serving worker stops answering and is killed while a send waits: sent again under its key, stored once', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  const frozen = workerPid(home);
  process.kill(frozen, 'SIGSTOP');
  t.after(() => { if (isAlive(frozen)) process.kill(frozen, 'SIGKILL'); });
  const send = collect(home.spawnCli(['send', 'chat-1', 'while frozen']), 60_000);
  // The send waits on the frozen worker (or, had it not reached it yet, on whichever serves next).
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(frozen, 'SIGKILL');
  const result = await send;
  assert.equal(result.code, 0, result.stderr);
  const users = home.messages().filter((m) => m.role === 'user');
  assert.deepEqual(users.map((m) => m.text), ['while frozen'], 'one message, however many tries it took');
  assert.equal(users[0]!.id, result.stdout.trim());
  await eventually('the new worker to answer it', () => home.messages().some((m) => m.reply_to === users[0]!.id));
  assert.notEqual(workerPid(home), frozen);
});

test('the whole gateway SIGKILLed while a send waits on its frozen worker, then started again: the send lands on the new gateway, stored once', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const monitor = await home.start();
  const frozen = workerPid(home);
  process.kill(frozen, 'SIGSTOP');
  const send = collect(home.spawnCli(['send', 'chat-1', 'across a crash']), 60_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(-monitor, 'SIGKILL'); // monitor and worker: one process group, no drain
  await eventually('the gateway gone', () => !isAlive(monitor) && !isAlive(frozen));
  // The send keeps trying under its key (the endpoint is gone, then back) while the next gateway starts.
  await home.start();
  const result = await send;
  assert.equal(result.code, 0, result.stderr);
  const users = home.messages().filter((m) => m.role === 'user');
  assert.deepEqual(users.map((m) => [m.id, m.text]), [[result.stdout.trim(), 'across a crash']]);
  await eventually('the new gateway to answer it', () => home.messages().some((m) => m.reply_to === users[0]!.id));
});
