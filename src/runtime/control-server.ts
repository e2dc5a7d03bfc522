// The control endpoint: at once the single-instance lock (only one process can listen on it), the
// liveness probe (it answers or not) and the control channel (status, stop).
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { hello } from '../control/client.js';
import { MAX_CONTROL_LINE_BYTES, type ControlReply, type ControlRequest, type HelloReply, type RestartReply, type StatusReply, type StopReply } from '../control/protocol.js';
import { ERROR_CODES, GatehouseError, isErrnoException } from '../errors.js';
import { tokenMatches } from '../gateway/token.js';
import type { ControlEndpoint } from '../platform/index.js';

export interface ControlHandlers {
  hello(): HelloReply;
  status(): Promise<StatusReply>;
  stop(timeoutMs: number | undefined, reason: string): StopReply;
  restart(full: boolean, reason: string): Promise<RestartReply>;
}

function reply(socket: Socket, value: ControlReply): void {
  socket.end(`${JSON.stringify(value)}\n`);
}

async function dispatch(request: ControlRequest, token: string, handlers: ControlHandlers): Promise<ControlReply> {
  if (request.cmd === 'hello') return { ok: true, data: handlers.hello() };
  if (!tokenMatches((request as { token?: string }).token, token)) {
    return { ok: false, error: { code: 'unauthorized', message: 'missing or wrong token' } };
  }
  switch (request.cmd) {
    case 'status': return { ok: true, data: await handlers.status() };
    case 'stop': return { ok: true, data: handlers.stop(request.timeoutMs, request.reason ?? 'control stop') };
    case 'restart': return { ok: true, data: await handlers.restart(request.full === true, request.reason ?? 'control restart') };
    default: return { ok: false, error: { code: 'unknown_command', message: `unknown command ${JSON.stringify((request as { cmd?: unknown }).cmd)}` } };
  }
}

function serveConnection(socket: Socket, token: string, handlers: ControlHandlers): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => { /* a client that hangs up early is not our problem */ });
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    const newline = buffer.indexOf('\n');
    if (newline < 0) {
      if (buffer.length > MAX_CONTROL_LINE_BYTES) reply(socket, { ok: false, error: { code: 'too_long', message: 'request too long' } });
      return;
    }
    socket.removeAllListeners('data');
    let request: ControlRequest;
    try {
      request = JSON.parse(buffer.slice(0, newline)) as ControlRequest;
    } catch {
      reply(socket, { ok: false, error: { code: 'bad_request', message: 'request is not JSON' } });
      return;
    }
    dispatch(request, token, handlers).then(
      (answer) => reply(socket, answer),
      (error: unknown) => reply(socket, { ok: false, error: { code: 'internal', message: String(error) } }),
    );
  });
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function alreadyRunning(endpoint: ControlEndpoint): Promise<GatehouseError> {
  const answer = await hello(endpoint.address);
  const who = answer.ok ? `pid ${answer.data.pid}` : 'a process that does not answer';
  return new GatehouseError(ERROR_CODES.ALREADY_RUNNING, `another gateway already runs this profile (${who})`, {
    hint: 'use `gatehouse status`, or `gatehouse run --replace` to take over',
  });
}

/**
 * Take the lock by listening on the endpoint. A filesystem socket may be left by a crashed owner:
 * it is removed only when nothing answers on it, and after listening we check that the socket
 * answers as us (two starters could otherwise each remove the other's socket).
 */
export async function startControlServer(endpoint: ControlEndpoint, token: string, handlers: ControlHandlers): Promise<Server> {
  const server = createServer((socket) => serveConnection(socket, token, handlers));
  try {
    await listen(server, endpoint.address);
  } catch (error) {
    if (!isErrnoException(error, 'EADDRINUSE')) throw error;
    if (endpoint.file === null) throw await alreadyRunning(endpoint);
    const answer = await hello(endpoint.address);
    if (answer.ok || answer.kind !== 'absent') throw await alreadyRunning(endpoint);
    rmSync(endpoint.file, { force: true });
    await listen(server, endpoint.address);
  }
  if (endpoint.needsOwnershipCheck) {
    const me = handlers.hello().instance;
    const answer = await hello(endpoint.address);
    if (!answer.ok || answer.data.instance !== me) {
      server.close();
      throw await alreadyRunning(endpoint);
    }
  }
  return server;
}
