// Taking in a message from outside, whatever carried it: the HTTP API's POST and the control
// endpoint's `send` (which the monitor passes on to its worker over IPC) check the same input and
// commit it the same way, and each turns the outcome into its own answer (a status code, a reply).
import type { Dispatcher } from './dispatcher.js';
import { IDEMPOTENCY_KEY, IDEMPOTENCY_WINDOW_MS } from './idempotency.js';
import { classifyStoreError, type StoreFailure, type StoreHealth } from './store-errors.js';

export const MAX_TEXT_CHARS = 100_000;
export const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Input refused before anything is stored; `tooLarge`: the HTTP API answers 413 rather than 400. */
export interface InputError {
  readonly code: string;
  readonly message: string;
  readonly tooLarge?: true;
}

export function checkSessionId(sessionId: unknown): InputError | null {
  return typeof sessionId === 'string' && SESSION_ID.test(sessionId) ? null : { code: 'bad_session_id', message: 'session ids are 1-128 of A-Z a-z 0-9 . _ : -' };
}

export function checkText(text: unknown): InputError | null {
  if (typeof text !== 'string' || text.length === 0) return { code: 'bad_request', message: 'expected {"text": "<non-empty string>"}' };
  if (text.length > MAX_TEXT_CHARS) return { code: 'too_large', message: `text over ${MAX_TEXT_CHARS} characters`, tooLarge: true };
  return null;
}

export function checkIdempotencyKey(key: unknown): InputError | null {
  return typeof key === 'string' && IDEMPOTENCY_KEY.test(key)
    ? null
    : { code: 'bad_idempotency_key', message: 'Idempotency-Key must be one header of 1-255 visible ASCII characters' };
}

export type AcceptOutcome =
  /** Committed now, or (replayed) the key already named this message: committed before. */
  | { readonly kind: 'accepted'; readonly messageId: string; readonly replayed: boolean }
  /** The worker is stopping or handing over: nothing stored, the client retries shortly. */
  | { readonly kind: 'draining' }
  /** The key already names another text in this session: nothing stored, never retried. */
  | { readonly kind: 'key_reused'; readonly messageId: string; readonly message: string }
  /** The store refused the write (read-only, full, locked): nothing stored, the client may retry. */
  | { readonly kind: 'store'; readonly failure: StoreFailure };

/** Commit `text` to the session (under `key` when given) and queue it; never throws for a failing store. */
export function acceptMessage(dispatcher: Dispatcher, storeHealth: StoreHealth | undefined, sessionId: string, text: string, key: string | undefined): AcceptOutcome {
  try {
    if (key === undefined) {
      const message = dispatcher.accept(sessionId, text);
      if (message === null) return { kind: 'draining' };
      storeHealth?.succeeded();
      return { kind: 'accepted', messageId: message.id, replayed: false };
    }
    const result = dispatcher.acceptOnce(sessionId, text, key);
    if (result === null) return { kind: 'draining' };
    if (result.kind === 'key_reused') {
      const hours = IDEMPOTENCY_WINDOW_MS / 3_600_000;
      return {
        kind: 'key_reused', messageId: result.messageId,
        message: `this Idempotency-Key already names message ${result.messageId} of session ${sessionId}, which has a different text (keys hold for ${hours} h); send a new key for a new message`,
      };
    }
    storeHealth?.succeeded();
    return { kind: 'accepted', messageId: result.message.id, replayed: result.kind === 'replayed' };
  } catch (error) {
    const failure = classifyStoreError(error);
    if (failure === null) throw error;
    // Nothing was committed: the client may retry the same request once the cause is gone.
    storeHealth?.failed(failure);
    return { kind: 'store', failure };
  }
}

/** The outcome of a message that came through the control endpoint, input errors included. */
export type RelayedOutcome = AcceptOutcome | { readonly kind: 'refused'; readonly error: InputError };

/**
 * A message the monitor passed on from the control endpoint's `send`: checked as the HTTP API
 * checks a POST, then committed. The key is required: the CLI retries with it whenever it cannot
 * know the outcome (the worker died, the answer was lost), and the key makes that retry a replay.
 */
export function acceptRelayed(dispatcher: Dispatcher, storeHealth: StoreHealth | undefined, session: unknown, text: unknown, key: unknown): RelayedOutcome {
  const error = checkSessionId(session) ?? checkText(text) ?? checkIdempotencyKey(key);
  if (error !== null) return { kind: 'refused', error };
  try {
    return acceptMessage(dispatcher, storeHealth, session as string, text as string, key as string);
  } catch (failure) {
    // Not the store's: the message is not committed (its transaction rolled back); the CLI says why.
    return { kind: 'refused', error: { code: 'internal', message: failure instanceof Error ? failure.message : String(failure) } };
  }
}
