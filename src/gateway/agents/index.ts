// Agent backends: given a message (and its conversation), produce the reply. The contract is in
// types.ts; one file per kind.
import type { AgentConfig } from '../config.js';
import { CommandAgent } from './command.js';
import { EchoAgent } from './echo.js';
import type { Agent } from './types.js';

export type { Agent, AgentMessage, AgentReply, AgentRequest } from './types.js';
export { failed, replied } from './types.js';

export function createAgent(config: AgentConfig): Agent {
  switch (config.kind) {
    case 'echo': return new EchoAgent(config.delayMs);
    case 'command': return new CommandAgent(config.command, config.args, config.timeoutMs);
  }
}
