// The HTTP API against hostile or broken clients: slow headers are cut (the server's header and
// request timeouts), a malformed percent-encoding is a 400, and the session database with its WAL
// sidecars is private (0600) whatever mode an older file had.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { TestHome, eventually, healthz } from './harness.js';
import { HEADERS_TIMEOUT_MS } from '../../src/gateway/http-api.js';

const SLOW_CLIENTS = 40;
const TRICKLE_MS = 1_000;
/** The header timeout, Node's check interval (1 s) and room for a loaded machine. */
const CUT_WITHIN_MS = HEADERS_TIMEOUT_MS + 15_000;

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

test('clients that send their headers slowly are cut at the header timeout; the API keeps answering', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  const url = new URL(home.apiUrl());
  const sockets: Socket[] = [];
  const closed = new Set<Socket>();
  const timers: NodeJS.Timeout[] = [];
  t.after(() => { for (const timer of timers) clearInterval(timer); for (const s of sockets) s.destroy(); });
  for (let i = 0; i < SLOW_CLIENTS; i++) {
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    socket.on('close', () => closed.add(socket));
    socket.on('connect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n'));
    // One header line a second, never the blank line that ends them: a slow-loris client.
    timers.push(setInterval(() => { if (!socket.destroyed) socket.write(`X-Slow-${i}: ${Date.now()}\r\n`); }, TRICKLE_MS));
    sockets.push(socket);
  }
  await eventually('the slow clients to be connected', () => sockets.every((s) => s.readyState === 'open'), 10_000);
  assert.equal((await healthz(home.apiUrl())).status, 200, 'the API answers while the slow clients hang on');
  await eventually(`every slow client to be cut by the gateway within ${CUT_WITHIN_MS} ms`, () => closed.size === SLOW_CLIENTS, CUT_WITHIN_MS);
  assert.equal((await healthz(home.apiUrl())).status, 200);
});

test('a session id that is not valid percent-encoding is a 400, not a 500', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  for (const [method, path] of [['GET', '/v1/sessions/%FF%FE'], ['POST', '/v1/sessions/%FF%FE/messages'], ['GET', '/v1/sessions/%E0%A4%A']] as const) {
    const response = await fetch(`${home.apiUrl()}${path}`, {
      method, headers: { authorization: `Bearer ${home.token()}`, 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: JSON.stringify({ text: 'hi' }) } : {}),
    });
    assert.equal(response.status, 400, `${method} ${path}`);
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'bad_session_id');
  }
});

test('sessions.db and its -wal and -shm are 0600, and an older 0644 database is made private', { skip: process.platform === 'win32' ? 'POSIX modes' : false }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const db = home.paths().database;
  const check = async (): Promise<void> => {
    await home.api().send('s1', 'hello');
    for (const file of [db, `${db}-wal`, `${db}-shm`]) {
      await eventually(`${file} to exist`, () => existsSync(file));
      assert.equal(mode(file).toString(8), '600', file);
    }
  };
  await home.start();
  await check();
  assert.equal((await home.cli(['stop'])).code, 0);
  for (const file of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(file)) chmodSync(file, 0o644);
  await home.start();
  await check();
});
