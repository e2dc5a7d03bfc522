// Agent backends: given a message (and its conversation), produce the reply. The contract is in
// types.ts; one file per kind (module.ts: an agent written in JavaScript or TypeScript, imported).
// Only the configured kind is loaded: the worker loads this before its first answer, and the
// openai kind alone brings HTTPS (TLS), SSE parsing and the retry machinery.
import type { Logger } from '../../runtime/json-log.js';
import type { AgentConfig } from '../config.js';
import type { Agent } from './types.js';

export type { Agent, AgentMessage, AgentReply, AgentRequest } from './types.js';
export { failed, replied } from './types.js';

export interface AgentContext {
  readonly profile: string;
  /** Relative paths in the agent's config (agent.apiKeyFile) are relative to it. */
  readonly profileDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/**
 * Build the configured agent; throws GatehouseError(CONFIG_INVALID) when it cannot work as configured
 * (say, no key file, or an agent module that does not load or implement Agent).
 */
export async function createAgent(config: AgentConfig, context: AgentContext): Promise<Agent> {
  switch (config.kind) {
    case 'module': return (await import('./module.js')).loadModuleAgent(config, { profile: context.profile, profileDir: context.profileDir });
    case 'echo': return new (await import('./echo.js')).EchoAgent(config.delayMs);
    case 'command': return new (await import('./command.js')).CommandAgent(config.command, config.args, config.timeoutMs);
    case 'openai': {
      const [{ readApiKey }, { OpenAIAgent }] = await Promise.all([import('./api-key.js'), import('./openai.js')]);
      const apiKey = readApiKey(config.apiKeyFile, context.profileDir, context.env);
      if (apiKey.note !== null) context.log.warn(apiKey.note);
      return new OpenAIAgent(config, apiKey, context.log);
    }
  }
}
