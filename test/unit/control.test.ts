// The control endpoint: server (lock + protocol) and client (typed failures) over real sockets.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { controlCall, hello, requestRestart, requestStatus, requestStop, type ControlTarget } from '../../src/runtime/control-client.js';
import { clientProof, newNonce } from '../../src/runtime/control-auth.js';
import { CONTROL_IDLE_TIMEOUT_MS, MAX_CONTROL_CONNECTIONS } from '../../src/runtime/control-connections.js';
import type { HelloReply, RestartReply, StatusReply, StopReply } from '../../src/runtime/protocol.js';
import { startControlServer, type ControlHandlers } from '../../src/runtime/control-server.js';
import { ERROR_CODES, GatehouseError } from '../../src/errors.js';
import { abstractEndpoint, fileEndpoint } from '../../src/platform/control-endpoint.js';
import type { ControlEndpoint } from '../../src/platform/types.js';
import { exited, isLinux, spawnNode, tempDir, waitFor } from './helpers.js';

const TOKEN = 'control-test-token-0123456789';
const at = (address: string, key: string | null = TOKEN): ControlTarget => ({ address, key });

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

test('hello proves the token; status, stop and restart need the client\'s proof back', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  const { stops, restarts } = await start(t, endpoint);
  assert.ok(lstatSync(endpoint.file!).isSocket());

  const hi = await hello(at(endpoint.address));
  assert.ok(hi.ok, JSON.stringify(hi));
  assert.equal(hi.data.instance, 'inst-A');
  assert.equal(hi.data.pid, process.pid);
  assert.equal('proof' in hi.data || 'challenge' in hi.data, false, 'the proof is checked, not handed on');
  assert.ok(hi.latencyMs >= 0);

  const status = await requestStatus(at(endpoint.address));
  assert.ok(status.ok, JSON.stringify(status));
  assert.deepEqual([status.data.instance, status.data.restarts, status.data.detached], ['inst-A', 2, true]);

  // A client with another key cannot verify the server: it stops there, before any command.
  for (const bad of ['wrong-token-0123456789', `${TOKEN}x`, null]) {
    for (const refused of [await hello(at(endpoint.address, bad)), await requestStop(at(endpoint.address, bad), 1_000, 'nope'), await requestRestart(at(endpoint.address, bad), false, 'nope', 2_000)]) {
      assert.equal(!refused.ok && refused.kind, 'unproven', JSON.stringify(refused));
      assert.equal(!refused.ok && refused.claim?.instance, 'inst-A', 'what it claimed is kept for diagnosis');
    }
  }
  assert.deepEqual([stops, restarts], [[], []], 'no handler ran for a client without the key');

  const stop = await requestStop(at(endpoint.address), 1_234, 'unit test');
  assert.ok(stop.ok, JSON.stringify(stop));
  assert.deepEqual(stop.data, { accepted: true, timeoutMs: 1_234 });
  assert.deepEqual(stops, [[1_234, 'unit test']]);

  const restart = await requestRestart(at(endpoint.address), false, 'unit restart', 2_000);
  assert.deepEqual(restart.ok && restart.data, { kind: 'worker', ok: true, oldWorkerPid: 10, newWorkerPid: 11, reason: null });
  const full = await requestRestart(at(endpoint.address), true, 'unit full', 2_000);
  assert.deepEqual(full.ok && full.data, { kind: 'full', via: 'watcher' });
  const bare = await controlCall(at(endpoint.address), { cmd: 'restart' });
  assert.equal(bare.ok, true);
  assert.deepEqual(restarts, [[false, 'unit restart'], [true, 'unit full'], [false, 'control restart']]);

  const unknown = await controlCall(at(endpoint.address), { cmd: 'selfdestruct' } as never);
  assert.match(!unknown.ok ? `${unknown.kind} ${unknown.detail}` : 'ok', /^rejected unknown_command/);
});

/** Speak the protocol by hand: each line sent after the previous answer; every answer line returned. */
async function rawExchange(address: string, lines: ReadonlyArray<string | ((answers: string[]) => string)>): Promise<string[]> {
  const client = connect(address);
  const answers: string[] = [];
  let buffer = '';
  client.setEncoding('utf8');
  const sendNext = (): void => {
    const next = lines[answers.length];
    if (next !== undefined) client.write(`${typeof next === 'string' ? next : next(answers)}\n`);
  };
  client.on('connect', sendNext);
  return new Promise((resolve, reject) => {
    client.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        answers.push(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
        sendNext();
      }
    });
    client.on('close', () => resolve(answers));
    client.on('error', reject);
    setTimeout(() => { client.destroy(); reject(new Error(`no end; answers so far: ${answers.join(' | ')}`)); }, 3_000).unref();
  });
}

test('the server refuses a command without hello, with a wrong proof, or with a proof replayed from another connection', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  const { stops } = await start(t, endpoint);
  const code = (line: string | undefined): string => (JSON.parse(line ?? '{}') as { error?: { code?: string } }).error?.code ?? 'none';

  // The old protocol (the token in the request) and a bare command: refused before any work.
  for (const first of [JSON.stringify({ cmd: 'stop', token: TOKEN }), JSON.stringify({ cmd: 'status' }), JSON.stringify({ cmd: 'hello' })]) {
    const answers = await rawExchange(endpoint.address, [first]);
    assert.equal(code(answers[0]), 'hello_first', first);
  }
  const nonce = newNonce();
  const helloLine = JSON.stringify({ cmd: 'hello', nonce });
  const wrong = await rawExchange(endpoint.address, [helloLine, JSON.stringify({ cmd: 'stop', auth: 'not-a-proof' })]);
  assert.equal(code(wrong[1]), 'unauthorized');
  // A proof is good for its own connection only: the server's nonce is new each time.
  let proofOfFirst = '';
  const first = await rawExchange(endpoint.address, [helloLine, (answers) => {
    const { challenge } = (JSON.parse(answers[0]!) as { data: { challenge: string } }).data;
    proofOfFirst = clientProof(TOKEN, nonce, challenge, 'status');
    return JSON.stringify({ cmd: 'status', auth: proofOfFirst });
  }]);
  assert.equal((JSON.parse(first[1]!) as { ok: boolean }).ok, true);
  const replayed = await rawExchange(endpoint.address, [helloLine, JSON.stringify({ cmd: 'status', auth: proofOfFirst })]);
  assert.equal(code(replayed[1]), 'unauthorized');
  for (const answers of [wrong, first, replayed]) assert.ok(!answers.join('').includes(TOKEN), 'the token never crosses the endpoint');
  assert.deepEqual(stops, []);
});

test('a squatter that cannot prove the token is sent no command, and its answer is not believed', async (t) => {
  const address = join(tempDir(t), 'squatted.sock');
  const received: string[] = [];
  const squatter = createServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      received.push(chunk.toString());
      // A convincing liar: the right shape, a made-up proof.
      socket.write(`${JSON.stringify({ ok: true, data: { instance: 'gh_fake', pid: 1, startTime: 0, profile: 'default', version: '0.1.0', state: 'running', supervised: false, challenge: newNonce(), proof: 'forged' } })}\n`);
    });
  });
  await new Promise<void>((resolve) => squatter.listen(address, resolve));
  t.after(() => closeServer(squatter));
  for (const call of [() => requestStop(at(address), 1_000, 'secret reason'), () => requestStatus(at(address)), () => hello(at(address))]) {
    const answer = await call();
    assert.equal(!answer.ok && answer.kind, 'unproven', JSON.stringify(answer));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const all = received.join('');
  assert.ok(all.length > 0, 'the squatter got our hellos');
  assert.ok(!all.includes(TOKEN), 'no token bytes');
  assert.doesNotMatch(all, /stop|status|secret reason|auth/, 'no command, no reason, no proof');
});

test('idle connections are bounded and time out; the endpoint keeps answering a real client', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  await start(t, endpoint);
  const idle: Socket[] = [];
  t.after(() => { for (const s of idle) s.destroy(); });
  const IDLE = 1_000;
  for (let i = 0; i < IDLE; i++) {
    const socket = connect(endpoint.address);
    socket.on('error', () => {});
    idle.push(socket);
  }
  await waitFor('the idle connections to be accepted or cut', () => idle.every((s) => s.readyState !== 'opening'), 10_000);
  // Give the server a moment to evict: at most MAX_CONTROL_CONNECTIONS stay open.
  await waitFor('the server to keep at most its cap open', () => idle.filter((s) => !s.destroyed && s.readyState === 'open' && !s.readableEnded).length <= MAX_CONTROL_CONNECTIONS, 10_000, 50);
  const status = await requestStatus(at(endpoint.address));
  assert.ok(status.ok, `a real client still gets through: ${JSON.stringify(status)}`);
  await waitFor('every idle connection to be closed by the server', () => idle.every((s) => s.readableEnded || s.destroyed), CONTROL_IDLE_TIMEOUT_MS + 5_000, 50);
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
  const hi = await hello(at(endpoint.address));
  assert.equal(hi.ok && hi.data.instance, 'inst-A');
});

test('an abstract endpoint is a lock too', { skip: !isLinux }, async (t) => {
  const endpoint = abstractEndpoint(`${tempDir(t)}/profile`);
  await start(t, endpoint, 'inst-A');
  await assert.rejects(startControlServer(endpoint, TOKEN, stubHandlers('inst-B').handlers),
    (error: unknown) => error instanceof GatehouseError && error.code === ERROR_CODES.ALREADY_RUNNING);
  const hi = await hello(at(endpoint.address));
  assert.equal(hi.ok && hi.data.instance, 'inst-A');
});

test('a socket file left by a killed owner is replaced', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  const { child } = await spawnNode(t, `require('node:net').createServer().listen(${JSON.stringify(endpoint.address)}, () => console.log('listening'));`);
  child.kill('SIGKILL');
  await exited(child);
  assert.ok(lstatSync(endpoint.file!).isSocket(), 'the dead owner left its socket file');
  assert.equal((await hello(at(endpoint.address))).ok, false);

  await start(t, endpoint, 'inst-new');
  const hi = await hello(at(endpoint.address));
  assert.equal(hi.ok && hi.data.instance, 'inst-new');
});

test('a plain file at the socket path is replaced', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  writeFileSync(endpoint.file!, 'left behind');
  await start(t, endpoint, 'inst-new');
  assert.ok(lstatSync(endpoint.file!).isSocket());
  const hi = await hello(at(endpoint.address));
  assert.equal(hi.ok && hi.data.instance, 'inst-new');
});

test('a server that accepts but never answers: the client times out and the lock is not taken', async (t) => {
  const endpoint = fileEndpoint(tempDir(t));
  await silentServer(t, endpoint.address);
  const answer = await hello(at(endpoint.address), 200);
  assert.equal(answer.ok, false);
  assert.equal(!answer.ok && answer.kind, 'timeout');
  assert.match(!answer.ok ? answer.detail : '', /200 ms/);
  await assert.rejects(startControlServer(endpoint, TOKEN, stubHandlers('inst-B').handlers),
    (error: unknown) => error instanceof GatehouseError && error.code === ERROR_CODES.ALREADY_RUNNING);
  assert.ok(existsSync(endpoint.file!), 'the wedged owner\'s socket was not removed');
});

test('nothing listening: kind "absent" (missing file, abstract name)', async (t) => {
  const answer = await hello(at(join(tempDir(t), 'nothing.sock')), 1_000);
  assert.equal(!answer.ok && answer.kind, 'absent');
  if (isLinux) {
    const abstract = await hello(at(abstractEndpoint(`${tempDir(t)}/none`).address), 1_000);
    assert.equal(!abstract.ok && abstract.kind, 'absent');
  }
});

test('a garbled answer or a hang-up is kind "error"', async (t) => {
  const dir = tempDir(t);
  const garbled = join(dir, 'garbled.sock');
  await silentServer(t, garbled, (s) => s.end('this is not json\n'));
  const g = await hello(at(garbled), 2_000);
  assert.deepEqual(!g.ok && [g.kind, g.detail], ['error', 'garbled answer']);

  const hangup = join(dir, 'hangup.sock');
  await silentServer(t, hangup, (s) => s.end());
  const h = await hello(at(hangup), 2_000);
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
  const client = new URL('../../src/runtime/control-client.js', import.meta.url).href;
  const script = `import(${JSON.stringify(client)}).then(async ({ hello }) => console.log(JSON.stringify(await hello({ address: ${JSON.stringify(address)}, key: 'k' }, 2000))));`;
  const { firstLine } = await spawnNode(t, script);
  const answer = JSON.parse(firstLine) as { ok: boolean; kind?: string };
  assert.deepEqual([answer.ok, answer.kind], [false, 'error']);
});
