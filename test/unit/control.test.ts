// The control endpoint: server (lock + protocol) and client (typed failures) over real sockets.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { controlCall, hello, requestRestart, requestStatus, requestStop } from '../../src/control/client.js';
import type { HelloReply, RestartReply, StatusReply, StopReply } from '../../src/control/protocol.js';
import { startControlServer, type ControlHandlers } from '../../src/runtime/control-server.js';
import { ERROR_CODES, GatehouseError } from '../../src/errors.js';
import { abstractEndpoint, fileEndpoint } from '../../src/platform/posix.js';
import type { ControlEndpoint } from '../../src/platform/types.js';
import { exited, isLinux, spawnNode, tempDir } from './helpers.js';

const TOKEN = 'control-test-token-0123456789';

function stubHandlers(instance: string) {
  const stops: Array<[number | undefined, string]> = [];
  const restarts: Array<[boolean, string]> = [];
  const helloReply: HelloReply = { instance, pid: process.pid, startTime: 1_700_000_000_000, profile: 'unit', version: '0.0.0-test', state: 'running', supervised: false };
  const handlers: ControlHandlers = {
    hello: () => helloReply,
    status: async (): Promise<StatusReply> => ({
      ...helloReply, startedAt: '2026-01-01T00:00:00.000Z', apiUrl: null, worker: { pid: null, responsive: false, latencyMs: null }, restarts: 2, detached: true,
      lastCrash: null, breakerUntil: null, job: 'n/a',
    }),
    stop: (timeoutMs, reason): StopReply => { stops.push([timeoutMs, reason]); return { accepted: true, timeoutMs: timeoutMs ?? 30_000 }; },
    restart: async (full, reason): Promise<RestartReply> => {
      restarts.push([full, reason]);
      return full ? { kind: 'full', via: 'watcher' } : { kind: 'worker', ok: true, oldWorkerPid: 10, newWorkerPid: 11, reason: null };
    },
  };
  return { handlers, stops, restarts };
}

async function start(t: TestContext, endpoint: ControlEndpoint, instance = 'inst-A') {
  const stub = stubHandlers(instance);
  const server = await startControlServer(endpoint, TOKEN, stub.handlers);
  t.after(() => closeServer(server));
  return { server, ...stub };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => { if (!server.listening) resolve(); else server.close(() => resolve()); });
}

/** A plain server that accepts and says nothing (a wedged owner); its sockets are destroyed at the end. */
async function silentServer(t: TestContext, address: string, onData?: (socket: Socket) => void): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    if (onData !== undefined) socket.once('data', () => onData(socket));
  });
  await new Promise<void>((resolve) => server.listen(address, resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await closeServer(server);
  });
  return server;
}

test('hello answers without a token; status, stop and restart need the right one', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  const { stops, restarts } = await start(t, endpoint);
  assert.ok(lstatSync(endpoint.file!).isSocket());

  const hi = await hello(endpoint.address);
  assert.ok(hi.ok, JSON.stringify(hi));
  assert.equal(hi.data.instance, 'inst-A');
  assert.equal(hi.data.pid, process.pid);
  assert.ok(hi.latencyMs >= 0);

  const status = await requestStatus(endpoint.address, TOKEN);
  assert.ok(status.ok, JSON.stringify(status));
  assert.deepEqual([status.data.instance, status.data.restarts, status.data.detached], ['inst-A', 2, true]);

  for (const bad of ['wrong-token', '', `${TOKEN}x`]) {
    const refused = await requestStatus(endpoint.address, bad);
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.kind, 'rejected');
    assert.match(!refused.ok ? refused.detail : '', /unauthorized/);
  }
  const noToken = await controlCall(endpoint.address, { cmd: 'status' } as never);
  assert.equal(!noToken.ok && noToken.kind, 'rejected');

  const refusedStop = await requestStop(endpoint.address, 'wrong-token', 1_000, 'nope');
  assert.equal(!refusedStop.ok && refusedStop.kind, 'rejected');
  assert.deepEqual(stops, [], 'the stop handler never ran for a bad token');

  const stop = await requestStop(endpoint.address, TOKEN, 1_234, 'unit test');
  assert.ok(stop.ok, JSON.stringify(stop));
  assert.deepEqual(stop.data, { accepted: true, timeoutMs: 1_234 });
  assert.deepEqual(stops, [[1_234, 'unit test']]);

  const refusedRestart = await requestRestart(endpoint.address, 'wrong-token', false, 'nope', 2_000);
  assert.equal(!refusedRestart.ok && refusedRestart.kind, 'rejected');
  assert.deepEqual(restarts, []);
  const restart = await requestRestart(endpoint.address, TOKEN, false, 'unit restart', 2_000);
  assert.deepEqual(restart.ok && restart.data, { kind: 'worker', ok: true, oldWorkerPid: 10, newWorkerPid: 11, reason: null });
  const full = await requestRestart(endpoint.address, TOKEN, true, 'unit full', 2_000);
  assert.deepEqual(full.ok && full.data, { kind: 'full', via: 'watcher' });
  const bare = await controlCall(endpoint.address, { cmd: 'restart', token: TOKEN } as never);
  assert.equal(bare.ok, true);
  assert.deepEqual(restarts, [[false, 'unit restart'], [true, 'unit full'], [false, 'control restart']]);

  const unknown = await controlCall(endpoint.address, { cmd: 'selfdestruct', token: TOKEN } as never);
  assert.match(!unknown.ok ? `${unknown.kind} ${unknown.detail}` : 'ok', /^rejected unknown_command/);
});

test('a second server on the same endpoint fails with GH_ALREADY_RUNNING and leaves the first intact', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  await start(t, endpoint, 'inst-A');
  await assert.rejects(startControlServer(endpoint, TOKEN, stubHandlers('inst-B').handlers), (error: unknown) => {
    assert.ok(error instanceof GatehouseError);
    assert.equal(error.code, ERROR_CODES.ALREADY_RUNNING);
    assert.match(error.message, new RegExp(`pid ${process.pid}`));
    return true;
  });
  const hi = await hello(endpoint.address);
  assert.equal(hi.ok && hi.data.instance, 'inst-A');
});

test('an abstract endpoint is a lock too', { skip: !isLinux }, async (t) => {
  const endpoint = abstractEndpoint(`${tempDir(t)}/profile`);
  await start(t, endpoint, 'inst-A');
  await assert.rejects(startControlServer(endpoint, TOKEN, stubHandlers('inst-B').handlers),
    (error: unknown) => error instanceof GatehouseError && error.code === ERROR_CODES.ALREADY_RUNNING);
  const hi = await hello(endpoint.address);
  assert.equal(hi.ok && hi.data.instance, 'inst-A');
});

test('a socket file left by a killed owner is replaced', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  const { child } = await spawnNode(t, `require('node:net').createServer().listen(${JSON.stringify(endpoint.address)}, () => console.log('listening'));`);
  child.kill('SIGKILL');
  await exited(child);
  assert.ok(lstatSync(endpoint.file!).isSocket(), 'the dead owner left its socket file');
  assert.equal((await hello(endpoint.address)).ok, false);

  await start(t, endpoint, 'inst-new');
  const hi = await hello(endpoint.address);
  assert.equal(hi.ok && hi.data.instance, 'inst-new');
});

test('a plain file at the socket path is replaced', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  writeFileSync(endpoint.file!, 'left behind');
  await start(t, endpoint, 'inst-new');
  assert.ok(lstatSync(endpoint.file!).isSocket());
  const hi = await hello(endpoint.address);
  assert.equal(hi.ok && hi.data.instance, 'inst-new');
});

test('a server that accepts but never answers: the client times out and the lock is not taken', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  await silentServer(t, endpoint.address);
  const answer = await hello(endpoint.address, 200);
  assert.equal(answer.ok, false);
  assert.equal(!answer.ok && answer.kind, 'timeout');
  assert.match(!answer.ok ? answer.detail : '', /200 ms/);
  await assert.rejects(startControlServer(endpoint, TOKEN, stubHandlers('inst-B').handlers),
    (error: unknown) => error instanceof GatehouseError && error.code === ERROR_CODES.ALREADY_RUNNING);
  assert.ok(existsSync(endpoint.file!), 'the wedged owner\'s socket was not removed');
});

test('nothing listening: kind "absent" (missing file, abstract name)', async (t) => {
  const answer = await hello(join(tempDir(t), 'nothing.sock'), 1_000);
  assert.equal(!answer.ok && answer.kind, 'absent');
  if (isLinux) {
    const abstract = await hello(abstractEndpoint(`${tempDir(t)}/none`).address, 1_000);
    assert.equal(!abstract.ok && abstract.kind, 'absent');
  }
});

test('a garbled answer or a hang-up is kind "error"', async (t) => {
  const dir = tempDir(t);
  const garbled = join(dir, 'garbled.sock');
  await silentServer(t, garbled, (s) => s.end('this is not json\n'));
  const g = await hello(garbled, 2_000);
  assert.deepEqual(!g.ok && [g.kind, g.detail], ['error', 'garbled answer']);

  const hangup = join(dir, 'hangup.sock');
  await silentServer(t, hangup, (s) => s.end());
  const h = await hello(hangup, 2_000);
  assert.deepEqual(!h.ok && [h.kind, h.detail], ['error', 'connection closed without an answer']);
});

test('the server answers a malformed request with an error instead of hanging', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  await start(t, endpoint);
  const reply = await new Promise<string>((resolve, reject) => {
    const client = connect(endpoint.address);
    let text = '';
    client.setEncoding('utf8');
    client.on('data', (c: string) => { text += c; });
    client.on('end', () => resolve(text));
    client.on('error', reject);
    client.write('{oops\n');
    setTimeout(() => { client.destroy(); reject(new Error('no answer')); }, 2_000).unref();
  });
  assert.deepEqual(JSON.parse(reply), { ok: false, error: { code: 'bad_request', message: 'request is not JSON' } });
});

test('a well-formed JSON answer of the wrong shape is kind "error", not a crash of the caller', async (t) => {
  // Run the client in a child: the bug is an uncaught exception, which would kill this test process.
  const address = join(tempDir(t), 'odd.sock');
  await silentServer(t, address, (s) => s.end('null\n'));
  const client = new URL('../../src/control/client.js', import.meta.url).href;
  const script = `import(${JSON.stringify(client)}).then(async ({ hello }) => console.log(JSON.stringify(await hello(${JSON.stringify(address)}, 2000))));`;
  const { firstLine } = await spawnNode(t, script);
  const answer = JSON.parse(firstLine) as { ok: boolean; kind?: string };
  assert.deepEqual([answer.ok, answer.kind], [false, 'error']);
});
