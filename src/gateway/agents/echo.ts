// `echo`: replies `echo: <text>` after `delayMs`. For trying a gateway out and for tests.
import { setTimeout as sleep } from 'node:timers/promises';
import { replied, type Agent, type AgentReply, type AgentRequest } from './types.js';

export class EchoAgent implements Agent {
  constructor(private readonly delayMs: number) {}

  async reply(request: AgentRequest): Promise<AgentReply> {
    if (this.delayMs > 0) await sleep(this.delayMs, undefined, { signal: request.signal });
    return replied(`echo: ${request.text}`);
  }
}
