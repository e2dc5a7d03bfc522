// Is the model server there, and does it serve the configured model? `GET <baseUrl>/models`, which
// OpenAI, Ollama, llama.cpp, LM Studio and vLLM all answer; a server without it is reachable, the
// model just cannot be checked. For `status --deep`; never shows the key.
import { MODEL_ERROR_CODES, ModelCallError, serverMessage } from './model-errors.js';
import { notRunningHint, openRequest, readBody, serverAddress } from './model-server.js';
import type { OpenAIAgentConfig } from './openai-config.js';
import type { ApiKey } from './api-key.js';

export const MODEL_PROBE_TIMEOUT_MS = 5_000;

export interface ModelProbe {
  readonly ok: boolean;
  readonly detail: string;
  readonly hint?: string;
  readonly latencyMs: number | null;
}

export async function probeModelServer(config: OpenAIAgentConfig, apiKey: ApiKey, timeoutMs = MODEL_PROBE_TIMEOUT_MS): Promise<ModelProbe> {
  const url = `${config.baseUrl}/models`;
  const started = Date.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await openRequest({ method: 'GET', url, apiKey: apiKey.key, signal }).response;
    const body = await readBody(res);
    const latencyMs = Date.now() - started;
    return judge(res.statusCode ?? 0, body, latencyMs, config, apiKey);
  } catch (error) {
    if (signal.aborted) {
      return { ok: false, latencyMs: null, detail: `no answer from ${serverAddress(config.baseUrl)} within ${timeoutMs} ms`, hint: 'the model server is overloaded or wedged: check it' };
    }
    const detail = error instanceof ModelCallError && error.code === MODEL_ERROR_CODES.CONNECTION ? error.message.split('; ')[0]! : String(error);
    return { ok: false, latencyMs: null, detail, hint: notRunningHint(config.baseUrl) };
  }
}

function judge(status: number, body: string, latencyMs: number, config: OpenAIAgentConfig, apiKey: ApiKey): ModelProbe {
  const at = `${config.baseUrl} answered in ${latencyMs} ms`;
  if (status === 401 || status === 403) {
    const hint = apiKey.source === null ? 'the server wants a key: set agent.apiKeyFile (or OPENAI_API_KEY)' : `check the key in ${apiKey.source}`;
    return { ok: false, latencyMs, detail: `${at}: it refused the API key (${status})`, hint };
  }
  if (status === 404 || status === 405) return { ok: true, latencyMs, detail: `${at}; it lists no models (${status} on /models), so "${config.model}" was not checked` };
  if (status < 200 || status >= 300) {
    const said = serverMessage(body);
    return { ok: false, latencyMs, detail: `${at} with ${status} on /models${said === '' ? '' : `: ${said}`}`, hint: 'check the model server' };
  }
  const ids = modelIds(body);
  if (ids === null) return { ok: false, latencyMs, detail: `${at}, but /models is not an OpenAI-style model list`, hint: 'is agent.baseUrl the OpenAI-compatible endpoint (usually ending in /v1)?' };
  // Ollama lists "llama3.2:latest" and serves it as "llama3.2".
  if (ids.includes(config.model) || ids.includes(`${config.model}:latest`)) return { ok: true, latencyMs, detail: `${at}; model "${config.model}" is served` };
  const shown = ids.slice(0, 10).join(', ') + (ids.length > 10 ? `, ... (${ids.length})` : '');
  const ollama = new URL(config.baseUrl).port === '11434';
  return {
    ok: false, latencyMs,
    detail: `${at}, but has no model "${config.model}" (it has: ${ids.length === 0 ? 'none' : shown})`,
    hint: ollama ? `ollama pull ${config.model}, or set agent.model to one it has` : 'set agent.model to one it has',
  };
}

function modelIds(body: string): string[] | null {
  try {
    const parsed = JSON.parse(body) as { data?: unknown };
    if (!Array.isArray(parsed.data)) return null;
    return parsed.data.map((m: { id?: unknown }) => (typeof m?.id === 'string' ? m.id : '')).filter((id) => id !== '');
  } catch {
    return null;
  }
}
