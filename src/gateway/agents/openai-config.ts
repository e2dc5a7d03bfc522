// Configuration of the `openai` agent kind: any server that speaks OpenAI's chat-completions
// protocol (Ollama, llama.cpp's server, LM Studio, vLLM, OpenAI, OpenRouter...).
import { z } from 'zod';

export const DEFAULT_OPENAI_BASE_URL = 'http://127.0.0.1:11434/v1';
/** History budget: earlier messages (a turn is two) and their characters. */
export const DEFAULT_HISTORY_MAX_MESSAGES = 40;
export const DEFAULT_HISTORY_MAX_CHARS = 24_000;
/** Loading a local model and reading a long prompt can take minutes on a CPU. */
export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 180_000;
export const DEFAULT_STALL_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 4;
/** A local model serves one request at a time well. */
export const DEFAULT_CONCURRENCY = 1;

const baseUrl = z
  .string()
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a URL: ${JSON.stringify(value)} (expected e.g. ${DEFAULT_OPENAI_BASE_URL})` });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `must be http:// or https://, got ${url.protocol}` });
    // A key in the URL would end up in logs and errors: keys go into apiKeyFile.
    if (url.username !== '' || url.password !== '') ctx.addIssue({ code: 'custom', message: 'must not contain credentials; put the key into agent.apiKeyFile' });
    if (url.search !== '' || url.hash !== '') ctx.addIssue({ code: 'custom', message: 'must not have a query or fragment' });
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });

export const openaiAgentSchema = z.strictObject({
  kind: z.literal('openai'),
  /** Requests go to `<baseUrl>/chat/completions` and `<baseUrl>/models`. */
  baseUrl: baseUrl.default(DEFAULT_OPENAI_BASE_URL),
  model: z.string().min(1),
  /** A file holding the key (relative to the profile directory); else OPENAI_API_KEY; else no key. */
  apiKeyFile: z.string().min(1).optional(),
  /** Sent first in every request; empty: none. */
  systemPrompt: z.string().default(''),
  temperature: z.number().min(0).max(2).optional(),
  /** The server's max_tokens: the longest answer. */
  maxTokens: z.number().int().positive().optional(),
  history: z
    .strictObject({
      maxMessages: z.number().int().min(0).default(DEFAULT_HISTORY_MAX_MESSAGES),
      maxChars: z.number().int().min(0).default(DEFAULT_HISTORY_MAX_CHARS),
    })
    .default({ maxMessages: DEFAULT_HISTORY_MAX_MESSAGES, maxChars: DEFAULT_HISTORY_MAX_CHARS }),
  /** Server-sent events; false only for a server that cannot stream (then no stall detection). */
  stream: z.boolean().default(true),
  firstTokenTimeoutMs: z.number().int().positive().default(DEFAULT_FIRST_TOKEN_TIMEOUT_MS),
  stallTimeoutMs: z.number().int().positive().default(DEFAULT_STALL_TIMEOUT_MS),
  /** Retries of one message after a 429, a 5xx, a refused connection, a stalled or cut stream. */
  maxRetries: z.number().int().min(0).max(100).default(DEFAULT_MAX_RETRIES),
  /** Model calls in flight at most; more wait, in order per session. */
  concurrency: z.number().int().min(1).max(64).default(DEFAULT_CONCURRENCY),
});

export type OpenAIAgentConfig = z.infer<typeof openaiAgentSchema>;
