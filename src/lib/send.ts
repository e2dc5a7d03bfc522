// Messages from code: the API client of a running profile, and `send`, as `gatehouse send [--wait]`.
import { ApiClient, ApiError, type ApiMessage } from '../control/api-client.js';
import { controlTarget, requestStatus } from '../runtime/control-client.js';
import { errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { readToken } from '../gateway/token.js';
import { resolveTarget, type ProfileTarget } from './target.js';

export interface SendOptions extends ProfileTarget {
  /** Wait this long for the reply (ms); without it, return once the message is accepted. */
  readonly waitMs?: number;
}

export interface SendResult {
  /** Accepted (and, when waited for, answered). */
  readonly ok: boolean;
  /** 0 ok, 1 failed or no reply in time, 3 not running: the exit code `gatehouse send` gives. */
  readonly exitCode: number;
  /** Set once the gateway committed the message (it will be answered, even after a restart). */
  readonly messageId: string | null;
  /** The agent's reply, when waited for and it came. */
  readonly reply: ApiMessage | null;
  /** Why not ok. */
  readonly message: string | null;
}

/** An API client for the running gateway of the profile (its URL and token); null when it is not running. */
export async function connect(target: ProfileTarget = {}): Promise<ApiClient | null> {
  const paths = resolveTarget(target);
  const token = readToken(paths.token);
  if (token === null) return null;
  const status = await requestStatus({ ...controlTarget(paths), key: token });
  return status.ok && status.data.apiUrl !== null ? new ApiClient(status.data.apiUrl, token) : null;
}

/** Put a message into a session; with waitMs, wait for the agent's reply. Never throws for a gateway's answer. */
export async function send(sessionId: string, text: string, options: SendOptions = {}): Promise<SendResult> {
  const client = await connect(options);
  if (client === null) return { ok: false, exitCode: EXIT.NOT_RUNNING, messageId: null, reply: null, message: 'gatehouse is not running' };
  let messageId: string | null = null;
  try {
    messageId = await client.send(sessionId, text);
    if (options.waitMs === undefined) return { ok: true, exitCode: EXIT.OK, messageId, reply: null, message: null };
    const reply = await client.waitForReply(sessionId, messageId, options.waitMs);
    if (reply === null) {
      return { ok: false, exitCode: EXIT.FAILURE, messageId, reply: null, message: `no reply within ${options.waitMs} ms (message ${messageId} is accepted and will be answered)` };
    }
    return { ok: true, exitCode: EXIT.OK, messageId, reply, message: null };
  } catch (error) {
    const why = error instanceof ApiError ? `${error.code}: ${error.message}` : errorMessage(error);
    return { ok: false, exitCode: EXIT.FAILURE, messageId, reply: null, message: why };
  }
}
