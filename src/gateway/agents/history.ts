// The conversation budget: what of the earlier turns goes into a model request. Whole turns (a user
// message and its reply) are dropped, oldest first, until the rest fits both limits, so the request
// still alternates user/assistant (strict chat templates refuse anything else). The system prompt
// and the current message are always sent and count against neither limit.
import type { AgentMessage } from './types.js';

export interface HistoryBudget {
  /** Earlier messages at most (a turn is two). */
  readonly maxMessages: number;
  /** Characters of earlier messages at most (a rough stand-in for tokens: about 4 per token in English). */
  readonly maxChars: number;
}

/** The latest whole turns of `history` (user, assistant pairs, oldest first) that fit the budget. */
export function trimHistory(history: readonly AgentMessage[], budget: HistoryBudget): AgentMessage[] {
  const kept: AgentMessage[] = [];
  let chars = 0;
  for (let end = history.length; end >= 2; end -= 2) {
    const question = history[end - 2]!;
    const answer = history[end - 1]!;
    const size = question.text.length + answer.text.length;
    if (kept.length + 2 > budget.maxMessages || chars + size > budget.maxChars) break;
    kept.unshift(question, answer);
    chars += size;
  }
  return kept;
}
