// `gatehouse send` over the control endpoint: one connection carries the proof and the message,
// and the monitor passes it to its worker, which commits it as the HTTP API's POST would (with the
// key as its Idempotency-Key). No HTTP client is loaded, and no second connection made. Whenever
// the outcome is unknown (no worker serves, it is stopping, its store refuses, it died before it
// answered, the monitor is restarting), the same message goes again under the same key, which
// makes it a replay if the first one was stored: at most one message, for as long as the retries run
// (the HTTP client's policy, api-client.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelayMs } from '../runtime/backoff.js';
import { SEND_RETRY, SEND_RETRY_FOR_MS } from './api-client.js';
import { controlTarget, requestSend, type ControlResult, type ControlTarget } from '../runtime/control-client.js';
import { MAX_CONTROL_LINE_BYTES, type HelloReply, type SendReply } from '../runtime/protocol.js';
import type { ProfilePaths } from '../paths.js';

const { randomUUID } = process.getBuiltinModule('node:crypto');

/** One exchange: longer than the monitor waits for its worker (RELAY_TIMEOUT_MS), so the monitor's answer comes first. */
const SEND_EXCHANGE_TIMEOUT_MS = 15_000;

export type SendOutcome =
  | { readonly kind: 'accepted'; readonly messageId: string; readonly apiUrl: string | null; readonly target: ControlTarget }
  /** Nothing answers on the control endpoint: no gateway runs. */
  | { readonly kind: 'not-running' }
  /** Something answers that cannot prove the token: nothing was sent to it. */
  | { readonly kind: 'unproven'; readonly claim: HelloReply | undefined }
  /**
   * The control endpoint cannot carry this message: a gateway from before `send` came to it, or a
   * text longer than one control line (MAX_CONTROL_LINE_BYTES; the API takes 100,000 characters).
   * The caller sends over HTTP.
   */
  | { readonly kind: 'unsupported' }
  /** The gateway will not take this message (bad input, a key reused for another text). */
  | { readonly kind: 'refused'; readonly code: string; readonly message: string }
  /** Still unknown when the retries ran out. */
  | { readonly kind: 'gave-up'; readonly detail: string };

export interface SendOptions {
  readonly retryForMs?: number;
  readonly key?: string;
}

/** What one exchange says: a final outcome, or why to try again. */
function settle(answer: ControlResult<SendReply>, target: ControlTarget, first: boolean): SendOutcome | { readonly retry: string } {
  if (answer.ok) {
    const reply = answer.data;
    if (reply.outcome === 'accepted') return { kind: 'accepted', messageId: reply.messageId, apiUrl: reply.apiUrl, target };
    if (reply.outcome === 'refused') return { kind: 'refused', code: reply.code, message: reply.message };
    return { retry: `${reply.code}: ${reply.message}` };
  }
  if (answer.kind === 'unproven') return { kind: 'unproven', claim: answer.claim };
  if (answer.kind === 'rejected' && answer.detail.startsWith('unknown_command')) return { kind: 'unsupported' };
  // Absent at the first try: not running. Later (a full restart between two tries): coming back.
  if (answer.kind === 'absent' && first) return { kind: 'not-running' };
  return { retry: `${answer.kind}: ${answer.detail}` };
}

/** Room for the rest of the line (the command, the proof, the JSON around them) besides session, text and key. */
const LINE_OVERHEAD_BYTES = 256;

export async function sendOverControl(paths: ProfilePaths, session: string, text: string, options: SendOptions = {}): Promise<SendOutcome> {
  const key = options.key ?? randomUUID();
  if (Buffer.byteLength(JSON.stringify({ session, text, key })) + LINE_OVERHEAD_BYTES > MAX_CONTROL_LINE_BYTES) return { kind: 'unsupported' };
  const deadline = Date.now() + (options.retryForMs ?? SEND_RETRY_FOR_MS);
  for (let attempt = 0; ; attempt += 1) {
    // The token is read at every try: a full restart may have replaced an unusable one.
    const target = controlTarget(paths);
    const settled = settle(await requestSend(target, { session, text, key }, SEND_EXCHANGE_TIMEOUT_MS), target, attempt === 0);
    if (!('retry' in settled)) return settled;
    if (Date.now() >= deadline) return { kind: 'gave-up', detail: settled.retry };
    await sleep(backoffDelayMs(attempt + 1, SEND_RETRY));
  }
}
