// Talking to a gateway's control endpoint: the answer or a typed failure, with the latency, so status
// can tell "absent" from "wedged" from "someone else's". The server must prove it knows the profile's
// token before anything else is said (runtime/control-auth.ts): an endpoint that cannot is never sent
// a command, and its answer is never acted on.
import type { Socket } from 'node:net';
import { readToken } from '../gateway/token.js';
import type { ProfilePaths } from '../paths.js';
import { controlEndpointFor } from '../platform/control-endpoint.js';
import { clientProof, isNonce, newNonce, proofMatches, serverProof } from './control-auth.js';
import {
  MAX_CONTROL_LINE_BYTES, type ControlCommand, type ControlReply, type HelloProof, type HelloReply, type RestartReply, type SendReply, type SentMessage, type StatusReply, type StopReply,
} from './protocol.js';
const { connect } = process.getBuiltinModule('node:net');

export const CONTROL_TIMEOUT_MS = 2_000;
/** What `status` waits for each exchange: a gateway slower than this is reported as not answering (wedged). */
export const STATUS_PROBE_TIMEOUT_MS = 1_500;

export type ControlFailureKind =
  /** Nobody listens: no gateway holds the endpoint. */
  | 'absent'
  /** Connected, but no answer in time: the gateway is wedged. */
  | 'timeout'
  /**
   * Something answers but cannot prove it knows this profile's token (another user's process, or a
   * gateway started with a token the file no longer holds): nothing was sent to it.
   */
  | 'unproven'
  /** The gateway answered with an error (bad proof, unknown command). */
  | 'rejected'
  /** Anything else (garbled answer, connection reset). */
  | 'error';

export type ControlResult<T> =
  | { readonly ok: true; readonly data: T; readonly latencyMs: number }
  | {
    readonly ok: false; readonly kind: ControlFailureKind; readonly detail: string; readonly latencyMs: number;
    /** 'unproven' only: who the endpoint claims to be (unverified: for diagnosis, never for action). */
    readonly claim?: HelloReply;
  };

/** Where a profile's control endpoint is, and the key its owner must prove (null: no token file). */
export interface ControlTarget {
  readonly address: string;
  readonly key: string | null;
}

/** The profile's endpoint and token, read now (the token may have been created a moment ago). */
export function controlTarget(paths: ProfilePaths): ControlTarget {
  return { address: controlEndpointFor(paths.dir).address, key: readToken(paths.token) };
}

/** A reply of the right shape, or null: an answer from something that is not a gateway. */
function parseReply(line: string): ControlReply | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const reply = value as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (reply.ok === true) return reply as ControlReply;
  if (reply.ok === false && typeof reply.error?.code === 'string' && typeof reply.error.message === 'string') return reply as ControlReply;
  return null;
}

/** Successive newline-terminated lines from a socket; null once it is too long to be a reply. */
function lineReader(socket: Socket, onLine: (line: string | null) => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      onLine(line);
    }
    if (buffer.length > MAX_CONTROL_LINE_BYTES) onLine(null);
  });
}

type HelloAnswer = HelloReply & Partial<HelloProof>;

/** Did the answer to our nonce come from an owner of the key? */
function proven(key: string | null, nonce: string, answer: HelloAnswer): answer is HelloReply & HelloProof {
  if (key === null || !isNonce(answer.challenge)) return false;
  return proofMatches(serverProof(key, nonce, answer.challenge, answer), answer.proof);
}

function identityOf(answer: HelloAnswer): HelloReply {
  const { challenge: _challenge, proof: _proof, ...identity } = answer;
  return identity;
}

/**
 * One exchange: hello with a fresh nonce, check the server's proof, then (command given) send the
 * command with our proof and read its answer. `command` null: the proven hello is the answer.
 */
export function controlCall<T>(target: ControlTarget, command: ControlCommand | null, timeoutMs = CONTROL_TIMEOUT_MS): Promise<ControlResult<T>> {
  // process.hrtime, not performance.now(): the performance global loads eleven internal modules.
  const started = process.hrtime.bigint();
  const elapsed = (): number => Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
  const nonce = newNonce();
  return new Promise((resolve) => {
    let settled = false;
    let challenge: string | null = null;
    const socket = connect(target.address);
    const finish = (result: ControlResult<T>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const fail = (kind: ControlFailureKind, detail: string, claim?: HelloReply): void =>
      finish({ ok: false, kind, detail, latencyMs: elapsed(), ...(claim === undefined ? {} : { claim }) });
    const timer = setTimeout(() => fail('timeout', `no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => socket.write(`${JSON.stringify({ cmd: 'hello', nonce })}\n`));
    lineReader(socket, (line) => {
      const reply = line === null ? null : parseReply(line);
      if (reply === null) return fail('error', line === null ? 'answer too long' : 'garbled answer');
      if (!reply.ok) return fail('rejected', `${reply.error.code}: ${reply.error.message}`);
      if (challenge !== null) return finish({ ok: true, data: reply.data as T, latencyMs: elapsed() });
      const answer = reply.data as HelloAnswer;
      if (typeof answer !== 'object' || answer === null) return fail('error', 'garbled answer');
      if (!proven(target.key, nonce, answer)) {
        return fail('unproven', target.key === null ? 'something answers, and there is no token to check it against' : 'the answer does not prove it knows this profile\'s token', identityOf(answer));
      }
      if (command === null) return finish({ ok: true, data: identityOf(answer) as T, latencyMs: elapsed() });
      challenge = answer.challenge;
      socket.write(`${JSON.stringify({ ...command, auth: clientProof(target.key as string, nonce, challenge, command.cmd) })}\n`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const absent = error.code === 'ECONNREFUSED' || error.code === 'ENOENT';
      fail(absent ? 'absent' : 'error', error.code ?? error.message);
    });
    socket.on('close', () => fail('error', 'connection closed without an answer'));
  });
}

export const hello = (target: ControlTarget, timeoutMs?: number): Promise<ControlResult<HelloReply>> =>
  controlCall<HelloReply>(target, null, timeoutMs);

export const requestStatus = (target: ControlTarget, timeoutMs?: number): Promise<ControlResult<StatusReply>> =>
  controlCall<StatusReply>(target, { cmd: 'status' }, timeoutMs);

export const requestStop = (target: ControlTarget, stopTimeoutMs: number, reason: string): Promise<ControlResult<StopReply>> =>
  controlCall<StopReply>(target, { cmd: 'stop', timeoutMs: stopTimeoutMs, reason });

export const requestRestart = (target: ControlTarget, full: boolean, reason: string, timeoutMs: number): Promise<ControlResult<RestartReply>> =>
  controlCall<RestartReply>(target, { cmd: 'restart', full, reason }, timeoutMs);

export const requestSend = (target: ControlTarget, message: SentMessage, timeoutMs: number): Promise<ControlResult<SendReply>> =>
  controlCall<SendReply>(target, { cmd: 'send', ...message }, timeoutMs);

/** A gateway's answer to `status`: its proven hello, and its status when it gave one. */
export interface GatewayAnswer {
  readonly hello: ControlResult<HelloReply>;
  readonly status: ControlResult<StatusReply> | null;
}

/**
 * One connection: the proven hello and then the status request on it (a status reply carries
 * everything hello does). An endpoint that is absent, wedged or cannot prove the token fails the
 * hello step, and that failure is the hello's answer; only a refused command costs a second call.
 */
export async function askStatus(target: ControlTarget, timeoutMs = STATUS_PROBE_TIMEOUT_MS): Promise<GatewayAnswer> {
  const status = await requestStatus(target, timeoutMs);
  if (status.ok) return { hello: status, status };
  if (status.kind === 'rejected') return { hello: await hello(target, timeoutMs), status };
  return { hello: status, status: null };
}
