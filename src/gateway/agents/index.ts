// Agent backends: given a message (and its conversation), produce the reply. The contract is in
// types.ts; one file per kind (module.ts: an agent written in JavaScript or TypeScript, imported).
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import { readApiKey } from './api-key.js';
import { CommandAgent } from './command.js';
import { EchoAgent } from './echo.js';
import { OpenAIAgent } from './openai.js';
import { loadModuleAgent } from './module.js';
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
    case 'module': return loadModuleAgent(config, { profile: context.profile, profileDir: context.profileDir });
    case 'echo': return new EchoAgent(config.delayMs);
    case 'command': return new CommandAgent(config.command, config.args, config.timeoutMs);
    case 'openai': {
      const apiKey = readApiKey(config.apiKeyFile, context.profileDir, context.env);
      if (apiKey.note !== null) context.log.warn(apiKey.note);
      return new OpenAIAgent(config, apiKey, context.log);
    }
  }
}
