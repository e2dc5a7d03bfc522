// `send` over the control endpoint (src/control/send-message.ts) against a real control server on
// the profile's real endpoint, whose `send` handler keeps what it stored by key, as the worker's
// idempotency table does: a lost answer is sent again under the same key and stays one message.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { sendOverControl } from '../../src/control/send-message.js';
import { profilePaths, type ProfilePaths } from '../../src/paths.js';
import { controlEndpointFor } from '../../src/platform/control-endpoint.js';
import { startControlServer, type ControlHandlers } from '../../src/runtime/control-server.js';
import { MAX_CONTROL_LINE_BYTES, type HelloReply, type SendReply } from '../../src/runtime/protocol.js';
import { tempDir } from './helpers.js';

const TOKEN = 'send-test-token-0123456789abcdef';

function profile(t: TestContext, token = TOKEN): ProfilePaths {
  const paths = profilePaths('default', { ...process.env, GATEHOUSE_HOME: tempDir(t) });
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.token, token, { mode: 0o600 });
  return paths;
}

/** A gateway's control endpoint whose worker stores each key's message once (the idempotency table's rule). */
class FakeGateway {
  readonly stored = new Map<string, { session: string; text: string; id: string }>();
  readonly keys: string[] = [];
  /** How many of the first answers are lost after the message was stored (the worker died before it replied). */
  lostAnswers = 0;
  refuse: { code: string; message: string } | null = null;

  handlers(withSend = true): ControlHandlers {
    const hello: HelloReply = { instance: 'inst-send', pid: process.pid, startTime: 1_700_000_000_000, profile: 'default', version: '0.0.0-test', state: 'running', supervised: false };
    return {
      hello: () => hello,
      status: () => Promise.reject(new Error('not asked')),
      stop: () => ({ accepted: true, timeoutMs: 0 }),
      restart: () => Promise.reject(new Error('not asked')),
      ...(withSend ? { send: async (m: { session: string; text: string; key: string }) => this.send(m) } : {}),
    };
  }

  private send(m: { session: string; text: string; key: string }): SendReply {
    this.keys.push(m.key);
    if (this.refuse !== null) return { outcome: 'refused', ...this.refuse };
    const known = this.stored.get(m.key);
    const message = known ?? { session: m.session, text: m.text, id: `msg-${this.stored.size + 1}` };
    this.stored.set(m.key, message);
    if (this.lostAnswers > 0) {
      this.lostAnswers -= 1;
      return { outcome: 'retry', code: 'unavailable', message: 'the worker exited (SIGKILL) before it answered' };
    }
    return { outcome: 'accepted', messageId: message.id, replayed: known !== undefined, apiUrl: 'http://127.0.0.1:1' };
  }
}

async function serve(t: TestContext, paths: ProfilePaths, gateway: FakeGateway, withSend = true, token = TOKEN): Promise<Server> {
  const server = await startControlServer(controlEndpointFor(paths.dir), token, gateway.handlers(withSend));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

test('answers lost after the message was stored: sent again under the same key, one message, and its id', async (t) => {
  const paths = profile(t);
  const gateway = new FakeGateway();
  gateway.lostAnswers = 2;
  await serve(t, paths, gateway);
  const sent = await sendOverControl(paths, 'chat-1', 'hello', { retryForMs: 10_000 });
  assert.equal(sent.kind, 'accepted');
  assert.equal(sent.kind === 'accepted' && sent.messageId, 'msg-1');
  assert.equal(gateway.keys.length, 3, 'two lost answers, then the replay');
  assert.equal(new Set(gateway.keys).size, 1, 'every try carried the same key');
  assert.deepEqual([...gateway.stored.values()], [{ session: 'chat-1', text: 'hello', id: 'msg-1' }]);
  // A second send is a new message: a new key.
  const again = await sendOverControl(paths, 'chat-1', 'hello');
  assert.equal(again.kind === 'accepted' && again.messageId, 'msg-2');
});

test('the retries run out: gave up, with the last reason, and still at most one message', async (t) => {
  const paths = profile(t);
  const gateway = new FakeGateway();
  gateway.lostAnswers = 1_000;
  await serve(t, paths, gateway);
  const sent = await sendOverControl(paths, 'chat-1', 'hello', { retryForMs: 300 });
  assert.equal(sent.kind, 'gave-up');
  assert.match(sent.kind === 'gave-up' ? sent.detail : '', /unavailable: the worker exited/);
  assert.ok(gateway.keys.length >= 2, `retried (${gateway.keys.length} tries)`);
  assert.equal(gateway.stored.size, 1);
});

test('refused input is final: not sent again', async (t) => {
  const paths = profile(t);
  const gateway = new FakeGateway();
  gateway.refuse = { code: 'bad_session_id', message: 'session ids are 1-128 of A-Z a-z 0-9 . _ : -' };
  await serve(t, paths, gateway);
  const sent = await sendOverControl(paths, 'chat-1', 'hello', { retryForMs: 5_000 });
  assert.deepEqual(sent, { kind: 'refused', code: 'bad_session_id', message: 'session ids are 1-128 of A-Z a-z 0-9 . _ : -' });
  assert.equal(gateway.keys.length, 1);
});

test('a gateway from before send came to the control endpoint: unsupported, nothing stored (the CLI uses HTTP)', async (t) => {
  const paths = profile(t);
  const gateway = new FakeGateway();
  await serve(t, paths, gateway, false);
  assert.deepEqual(await sendOverControl(paths, 'chat-1', 'hello'), { kind: 'unsupported' });
  assert.equal(gateway.keys.length, 0);
});

test('a text longer than a control line goes over HTTP: unsupported, nothing sent over the endpoint', async (t) => {
  const paths = profile(t);
  const gateway = new FakeGateway();
  await serve(t, paths, gateway);
  assert.deepEqual(await sendOverControl(paths, 'chat-1', 'x'.repeat(MAX_CONTROL_LINE_BYTES)), { kind: 'unsupported' });
  // Multi-byte text counts in bytes: 30,000 characters of three bytes each do not fit either.
  assert.deepEqual(await sendOverControl(paths, 'chat-1', '€'.repeat(30_000)), { kind: 'unsupported' });
  assert.equal(gateway.keys.length, 0);
  const fits = await sendOverControl(paths, 'chat-1', 'x'.repeat(MAX_CONTROL_LINE_BYTES - 1_000));
  assert.equal(fits.kind, 'accepted');
});

test('nobody listens: not running, at once; an endpoint that cannot prove the token is told nothing', async (t) => {
  const paths = profile(t);
  assert.deepEqual(await sendOverControl(paths, 'chat-1', 'hello', { retryForMs: 5_000 }), { kind: 'not-running' });
  const squatter = new FakeGateway();
  await serve(t, paths, squatter, true, 'another-users-token-0123456789');
  const sent = await sendOverControl(paths, 'chat-1', 'hello', { retryForMs: 5_000 });
  assert.equal(sent.kind, 'unproven');
  assert.equal(squatter.keys.length, 0, 'the message never reached it');
});
