// The contract between the gateway and an agent backend. An agent turns one user message (with the
// earlier turns of its conversation) into one reply. The gateway owns everything around it: it
// stores the message before the sender hears 202, calls the agent once per message and session in
// order, stores the reply in the transaction that closes the message, re-asks after a crash or a
// drain deadline, and fails the message with the agent's error text. So an agent needs no state of
// its own and may be asked the same message again: it must have no side effect a retry would repeat.

/** One earlier turn of the conversation, as a chat model sees it. */
export interface AgentMessage {
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

export interface AgentRequest {
  readonly sessionId: string;
  /** The stored user message being answered; the same id when a message is asked again. */
  readonly messageId: string;
  readonly text: string;
  /**
   * Earlier turns of the session's current context, oldest first: pairs of a user message and its
   * reply (user, assistant, user, assistant...). Messages that failed and everything before the
   * last `/new` are left out. At most `maxHistoryTurns` pairs (the most recent ones).
   */
  readonly history: readonly AgentMessage[];
  /** Aborted when the gateway stops waiting (drain deadline): give up at once, the message is resumed later. */
  readonly signal: AbortSignal;
  /** Call whenever work visibly progresses (a token arrived): the chat edge shows "typing". Cheap; call freely. */
  readonly onActivity: () => void;
}

export type AgentReply =
  | { readonly ok: true; readonly text: string; readonly error: null }
  /** `error` is shown to the user as it is (API and chat): say what failed and what to do about it. */
  | { readonly ok: false; readonly text: ''; readonly error: string };

export interface Agent {
  /** Answer one message. Throwing is like returning `{ok: false}` with the error's message. */
  reply(request: AgentRequest): Promise<AgentReply>;
  /** How many earlier turns (user + reply pairs) the agent wants in `history`; 0 or unset: none. */
  readonly maxHistoryTurns?: number;
  /** The most calls it serves at once; the gateway queues the rest (in order per session). Unset: no bound. */
  readonly concurrency?: number;
  /** Release what the agent holds (sockets, timers) at shutdown. */
  close?(): void;
}

export function replied(text: string): AgentReply {
  return { ok: true, text, error: null };
}

export function failed(error: string): AgentReply {
  return { ok: false, text: '', error };
}
