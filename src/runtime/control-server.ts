// The control endpoint: at once the single-instance lock (only one process can listen on it), the
// liveness probe (it answers or not) and the control channel (status, stop, restart). Any local user
// may connect (an abstract socket, a named pipe): every answer proves the token first and every
// command must prove it back (control-auth.ts), and connections are bounded (control-connections.ts),
// so idle ones cannot use up the monitor's descriptors.
import type { Server, Socket } from 'node:net';
import { hello } from './control-client.js';
import { MAX_CONTROL_LINE_BYTES, type ControlReply, type HelloReply, type RestartReply, type SendReply, type SentMessage, type StatusReply, type StopReply } from './protocol.js';
import { ERROR_CODES, GatehouseError, isErrnoException } from '../errors.js';
import type { ControlEndpoint } from '../platform/index.js';
import { clientProof, isNonce, newNonce, proofMatches, serverProof } from './control-auth.js';
import { ConnectionBounds } from './control-connections.js';

const { createServer } = process.getBuiltinModule('node:net');
const { rmSync } = process.getBuiltinModule('node:fs');

export interface ControlHandlers {
  hello(): HelloReply;
  status(): Promise<StatusReply>;
  stop(timeoutMs: number | undefined, reason: string): StopReply;
  restart(full: boolean, reason: string): Promise<RestartReply>;
  /** A message for the worker (absent where there is none to take it: a respawn watcher). */
  send?(message: SentMessage): Promise<SendReply>;
}

type Request = {
  readonly cmd?: unknown; readonly nonce?: unknown; readonly auth?: unknown; readonly timeoutMs?: unknown; readonly reason?: unknown; readonly full?: unknown;
  readonly session?: unknown; readonly text?: unknown; readonly key?: unknown;
};

const refusal = (code: string, message: string): ControlReply => ({ ok: false, error: { code, message } });

function send(socket: Socket, value: ControlReply, end: boolean): void {
  const line = `${JSON.stringify(value)}\n`;
  if (end) socket.end(line);
  else socket.write(line);
}

async function dispatch(request: Request, handlers: ControlHandlers): Promise<ControlReply> {
  const reason = typeof request.reason === 'string' ? request.reason : undefined;
  switch (request.cmd) {
    case 'status': return { ok: true, data: await handlers.status() };
    case 'stop': return { ok: true, data: handlers.stop(typeof request.timeoutMs === 'number' ? request.timeoutMs : undefined, reason ?? 'control stop') };
    case 'restart': return { ok: true, data: await handlers.restart(request.full === true, reason ?? 'control restart') };
    case 'send': {
      if (handlers.send === undefined) break;
      const { session, text, key } = request;
      if (typeof session !== 'string' || typeof text !== 'string' || typeof key !== 'string') return refusal('bad_request', 'send needs "session", "text" and "key" strings');
      return { ok: true, data: await handlers.send({ session, text, key }) };
    }
    default: break;
  }
  return refusal('unknown_command', `unknown command ${JSON.stringify(request.cmd)}`);
}

/** The hello answer: who we are, our nonce, and the proof that we know the token. */
function helloAnswer(token: string, clientNonce: string, serverNonce: string, handlers: ControlHandlers): ControlReply {
  const me = handlers.hello();
  return { ok: true, data: { ...me, challenge: serverNonce, proof: serverProof(token, clientNonce, serverNonce, me) } };
}

/**
 * One connection: a hello with the client's nonce (answered, connection kept open), then at most one
 * command carrying the client's proof (answered, connection closed). Anything else is refused.
 */
function serveConnection(socket: Socket, token: string, handlers: ControlHandlers, bounds: ConnectionBounds): void {
  let buffer = '';
  let nonces: { client: string; server: string } | null = null;
  socket.setEncoding('utf8');
  socket.on('error', () => { /* a client that hangs up early is not our problem */ });
  const close = (reply: ControlReply): void => {
    socket.removeListener('data', onData);
    send(socket, reply, true);
  };
  const onLine = (line: string): void => {
    let request: Request;
    try {
      request = JSON.parse(line) as Request;
    } catch {
      return close(refusal('bad_request', 'request is not JSON'));
    }
    if (typeof request !== 'object' || request === null) return close(refusal('bad_request', 'request is not an object'));
    if (nonces === null) {
      if (request.cmd !== 'hello' || !isNonce(request.nonce)) return close(refusal('hello_first', 'start with {"cmd":"hello","nonce":...}'));
      nonces = { client: request.nonce, server: newNonce() };
      bounds.idle(socket); // the client now checks our proof and may send one command
      return send(socket, helloAnswer(token, nonces.client, nonces.server, handlers), false);
    }
    socket.removeListener('data', onData);
    if (typeof request.cmd !== 'string' || !proofMatches(clientProof(token, nonces.client, nonces.server, request.cmd), request.auth)) {
      return close(refusal('unauthorized', 'the command does not prove the token'));
    }
    bounds.busy(socket); // a running command is never evicted (a drain, a restart, may take a while)
    dispatch(request, handlers).then(
      (answer) => send(socket, answer, true),
      (error: unknown) => send(socket, refusal('internal', String(error)), true),
    );
  };
  const onData = (chunk: string): void => {
    buffer += chunk;
    for (let newline = buffer.indexOf('\n'); newline >= 0 && !socket.destroyed; newline = buffer.indexOf('\n')) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      onLine(line);
      if (socket.listenerCount('data') === 0) return;
    }
    if (buffer.length > MAX_CONTROL_LINE_BYTES) close(refusal('too_long', 'request too long'));
  };
  socket.on('data', onData);
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

async function alreadyRunning(endpoint: ControlEndpoint, token: string): Promise<GatehouseError> {
  const answer = await hello({ address: endpoint.address, key: token });
  if (!answer.ok && answer.kind === 'unproven') {
    return new GatehouseError(ERROR_CODES.ENDPOINT_FOREIGN, `a process that does not know this profile's token (another user's?) holds its control endpoint ${JSON.stringify(endpoint.address)}: nothing was sent to it`, {
      hint: 'find and end that process; the gateway cannot start while it holds the endpoint',
    });
  }
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
  const bounds = new ConnectionBounds();
  const server = createServer((socket) => {
    if (bounds.admit(socket)) serveConnection(socket, token, handlers, bounds);
  });
  try {
    await listen(server, endpoint.address);
  } catch (error) {
    if (!isErrnoException(error, 'EADDRINUSE')) throw error;
    if (endpoint.file === null) throw await alreadyRunning(endpoint, token);
    const answer = await hello({ address: endpoint.address, key: token });
    if (answer.ok || answer.kind !== 'absent') throw await alreadyRunning(endpoint, token);
    rmSync(endpoint.file, { force: true });
    await listen(server, endpoint.address);
  }
  if (endpoint.needsOwnershipCheck) {
    const me = handlers.hello().instance;
    const answer = await hello({ address: endpoint.address, key: token });
    if (!answer.ok || answer.data.instance !== me) {
      server.close();
      throw await alreadyRunning(endpoint, token);
    }
  }
  return server;
}
