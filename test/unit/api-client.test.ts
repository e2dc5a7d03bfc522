// The API client's send: a fresh Idempotency-Key per call, the same key on every retry of that call,
// against a real HTTP server that behaves like a gateway whose first answer is lost after commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient, ApiError } from '../../src/control/api-client.js';

/** Stores each new key once; drops the connection of the first `lose` POSTs after storing them. */
function flakyGateway(lose: number): { url: Promise<string>; seen: string[]; stored: Map<string, string>; close: () => void } {
  const seen: string[] = [];
  const stored = new Map<string, string>();
  let lost = 0;
  const server = createServer((req: IncomingMessage, res) => {
    const key = String(req.headers['idempotency-key']);
    seen.push(key);
    req.resume();
    req.on('end', () => {
      if (!stored.has(key)) stored.set(key, `msg_${stored.size + 1}`);
      if (lost < lose) {
        lost += 1;
        req.socket.destroy(); // committed, but the answer never arrives
        return;
      }
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ messageId: stored.get(key) }));
    });
  });
  const url = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  return { url, seen, stored, close: () => server.close() };
}

test('send retries a reset POST with the same key, and a new send uses a new key', async (t) => {
  const gateway = flakyGateway(2);
  t.after(gateway.close);
  const client = new ApiClient(await gateway.url, 'token');
  const first = await client.send('s', 'hello');
  assert.equal(first, 'msg_1');
  assert.equal(gateway.seen.length, 3, 'two resets, then the answer');
  assert.equal(new Set(gateway.seen).size, 1, 'one key for all three tries');
  const second = await client.send('s', 'hello');
  assert.equal(second, 'msg_2');
  assert.equal(new Set(gateway.seen).size, 2);
  assert.equal(gateway.stored.size, 2);
});

test('send does not retry an answer that settles it (4xx)', async (t) => {
  let posts = 0;
  const server = createServer((req, res) => {
    posts += 1;
    req.resume();
    res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'idempotency_key_reused', message: 'no' } }));
  });
  t.after(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = new ApiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'token');
  await assert.rejects(client.send('s', 'x', 'k'), (error: unknown) => error instanceof ApiError && error.code === 'idempotency_key_reused');
  assert.equal(posts, 1);
});
