// `openai`: answers with a model behind an OpenAI-compatible chat-completions endpoint. Each request
// carries the system prompt, the earlier turns that fit the history budget and the message. A call
// that fails for a reason time can fix (429, 5xx, refused connection, stalled or cut stream) is
// asked again with backoff; the others fail the message with a sentence the user can act on.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../runtime/json-log.js';
import { chatCompletion, type ChatMessage } from './chat-completion.js';
import { trimHistory } from './history.js';
import { ModelCallError } from './model-errors.js';
import type { OpenAIAgentConfig } from './openai-config.js';
import { RetryPolicy } from './retry.js';
import { failed, replied, type Agent, type AgentReply, type AgentRequest } from './types.js';
import type { ApiKey } from './api-key.js';

const REDACTED = '[redacted]';

/** For tests: pinned jitter and a shorter first retry delay. */
export interface RetryPacing {
  readonly random?: () => number;
  readonly baseDelayMs?: number;
}

export class OpenAIAgent implements Agent {
  readonly maxHistoryTurns: number;
  readonly concurrency: number;
  private readonly retries: RetryPolicy;

  constructor(private readonly config: OpenAIAgentConfig, private readonly apiKey: ApiKey, private readonly log: Logger, pacing: RetryPacing = {}) {
    this.maxHistoryTurns = Math.ceil(config.history.maxMessages / 2);
    this.concurrency = config.concurrency;
    this.retries = new RetryPolicy(config.maxRetries, pacing.random, pacing.baseDelayMs);
  }

  /** What the model is sent: the system prompt, the earlier turns within budget, the message. */
  messages(request: Pick<AgentRequest, 'history' | 'text'>): ChatMessage[] {
    const system: ChatMessage[] = this.config.systemPrompt === '' ? [] : [{ role: 'system', content: this.config.systemPrompt }];
    const earlier = trimHistory(request.history, this.config.history).map((m): ChatMessage => ({ role: m.role, content: m.text }));
    return [...system, ...earlier, { role: 'user', content: request.text }];
  }

  async reply(request: AgentRequest): Promise<AgentReply> {
    const messages = this.messages(request);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const answer = await this.call(messages, request);
        if (answer.finishReason === 'length') this.log.warn({ messageId: request.messageId }, 'the answer was cut at agent.maxTokens');
        return replied(answer.text);
      } catch (error) {
        if (request.signal.aborted) throw request.signal.reason; // the drain deadline: resumed later
        if (!(error instanceof ModelCallError)) throw error;
        const decision = error.retryable ? this.retries.next(attempt, error.retryAfterMs) : null;
        if (decision === null || !decision.retry) {
          const why = decision === null ? '' : ` (${decision.reason})`;
          return failed(this.redact(`${error.message}${why}`));
        }
        this.log.warn({ messageId: request.messageId, code: error.code, attempt, delayMs: decision.delayMs, reason: this.redact(error.message) }, 'model call failed; retrying');
        await sleep(decision.delayMs, undefined, { signal: request.signal });
      }
    }
  }

  private call(messages: readonly ChatMessage[], request: AgentRequest): ReturnType<typeof chatCompletion> {
    return chatCompletion({
      url: `${this.config.baseUrl}/chat/completions`,
      apiKey: this.apiKey.key, keySource: this.apiKey.source,
      model: this.config.model, messages, stream: this.config.stream,
      temperature: this.config.temperature, maxTokens: this.config.maxTokens,
      firstTokenTimeoutMs: this.config.firstTokenTimeoutMs, stallTimeoutMs: this.config.stallTimeoutMs,
      signal: request.signal, onToken: request.onActivity,
    });
  }

  /** A server may quote the key back (a proxy's error page): it never leaves this agent. */
  private redact(text: string): string {
    return this.apiKey.key === null ? text : text.replaceAll(this.apiKey.key, REDACTED);
  }
}
