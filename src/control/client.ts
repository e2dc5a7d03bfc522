// Talking to a gateway's control endpoint. One request per connection; the answer or a typed
// failure, with the latency, so status can tell "absent" from "wedged".
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { MAX_CONTROL_LINE_BYTES, type ControlReply, type ControlRequest, type HelloReply, type RestartReply, type StatusReply, type StopReply } from './protocol.js';

export const CONTROL_TIMEOUT_MS = 2_000;

export type ControlFailureKind =
  /** Nobody listens: no gateway holds the endpoint. */
  | 'absent'
  /** Connected, but no answer in time: the gateway is wedged. */
  | 'timeout'
  /** The gateway answered with an error (bad token, unknown command). */
  | 'rejected'
  /** Anything else (garbled answer, connection reset). */
  | 'error';

export type ControlResult<T> =
  | { readonly ok: true; readonly data: T; readonly latencyMs: number }
  | { readonly ok: false; readonly kind: ControlFailureKind; readonly detail: string; readonly latencyMs: number };

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

export function controlCall<T>(address: string, request: ControlRequest, timeoutMs = CONTROL_TIMEOUT_MS): Promise<ControlResult<T>> {
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
  return new Promise((resolve) => {
    let buffer = '';
    let settled = false;
    const socket = connect(address);
    const finish = (result: ControlResult<T>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, kind: 'timeout', detail: `no answer within ${timeoutMs} ms`, latencyMs: elapsed() }), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) {
        if (buffer.length > MAX_CONTROL_LINE_BYTES) finish({ ok: false, kind: 'error', detail: 'answer too long', latencyMs: elapsed() });
        return;
      }
      const reply = parseReply(buffer.slice(0, newline));
      if (reply === null) {
        finish({ ok: false, kind: 'error', detail: 'garbled answer', latencyMs: elapsed() });
        return;
      }
      if (reply.ok) finish({ ok: true, data: reply.data as T, latencyMs: elapsed() });
      else finish({ ok: false, kind: 'rejected', detail: `${reply.error.code}: ${reply.error.message}`, latencyMs: elapsed() });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const absent = error.code === 'ECONNREFUSED' || error.code === 'ENOENT';
      finish({ ok: false, kind: absent ? 'absent' : 'error', detail: error.code ?? error.message, latencyMs: elapsed() });
    });
    socket.on('close', () => finish({ ok: false, kind: 'error', detail: 'connection closed without an answer', latencyMs: elapsed() }));
  });
}

export const hello = (address: string, timeoutMs?: number): Promise<ControlResult<HelloReply>> =>
  controlCall<HelloReply>(address, { cmd: 'hello' }, timeoutMs);

export const requestStatus = (address: string, token: string, timeoutMs?: number): Promise<ControlResult<StatusReply>> =>
  controlCall<StatusReply>(address, { cmd: 'status', token }, timeoutMs);

export const requestStop = (address: string, token: string, stopTimeoutMs: number, reason: string): Promise<ControlResult<StopReply>> =>
  controlCall<StopReply>(address, { cmd: 'stop', token, timeoutMs: stopTimeoutMs, reason });

export const requestRestart = (address: string, token: string, full: boolean, reason: string, timeoutMs: number): Promise<ControlResult<RestartReply>> =>
  controlCall<RestartReply>(address, { cmd: 'restart', token, full, reason }, timeoutMs);
