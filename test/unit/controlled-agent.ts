// An in-process agent whose replies a test releases one by one, and a logger that keeps errors:
// for driving the dispatcher over a real store.
import type { Logger } from 'pino';
import type { Agent, AgentReply, AgentRequest } from '../../src/gateway/agents/index.js';

export interface Call {
  readonly text: string;
  readonly signal: AbortSignal;
  readonly request: AgentRequest;
  resolve(reply: AgentReply): void;
  reject(error: unknown): void;
}

/** An agent whose replies the test releases one by one. */
export class ControlledAgent implements Agent {
  readonly calls: Call[] = [];
  constructor(private readonly rejectOnAbort = true, readonly maxHistoryTurns = 10, readonly concurrency?: number) {}
  reply(request: AgentRequest): Promise<AgentReply> {
    const { text, signal } = request;
    return new Promise((resolve, reject) => {
      this.calls.push({ text, signal, request, resolve, reject });
      if (this.rejectOnAbort) signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
  call(text: string): Call {
    const found = this.calls.find((c) => c.text === text);
    if (found === undefined) throw new Error(`agent was not called with ${text}; calls: ${this.calls.map((c) => c.text).join(',')}`);
    return found;
  }
  answer(text: string): void {
    this.call(text).resolve({ ok: true, text: `re: ${text}`, error: null });
  }
}

export function fakeLogger(): { log: Logger; errors: unknown[] } {
  const errors: unknown[] = [];
  const log = { error: (...args: unknown[]) => { errors.push(args); }, warn() {}, info() {}, debug() {} } as unknown as Logger;
  return { log, errors };
}
