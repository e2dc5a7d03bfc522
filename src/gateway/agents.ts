// Agent backends: given a message, produce the reply. `echo` for trying things out and for tests;
// `command` runs a program with the message on stdin and takes the reply from stdout.
import { setTimeout as sleep } from 'node:timers/promises';
import { runProgram } from '../platform/spawn.js';
import type { AgentConfig } from './config.js';

export interface AgentReply {
  readonly ok: boolean;
  readonly text: string;
  /** Why there is no reply, when ok is false. */
  readonly error: string | null;
}

export interface Agent {
  reply(text: string, signal: AbortSignal): Promise<AgentReply>;
}

class EchoAgent implements Agent {
  constructor(private readonly delayMs: number) {}

  async reply(text: string, signal: AbortSignal): Promise<AgentReply> {
    if (this.delayMs > 0) await sleep(this.delayMs, undefined, { signal });
    return { ok: true, text: `echo: ${text}`, error: null };
  }
}

class CommandAgent implements Agent {
  constructor(private readonly command: string, private readonly args: readonly string[], private readonly timeoutMs: number) {}

  async reply(text: string, signal: AbortSignal): Promise<AgentReply> {
    const { result, child } = runProgram(this.command, this.args, { timeoutMs: this.timeoutMs, input: text });
    const abort = (): void => { child.kill('SIGTERM'); };
    signal.addEventListener('abort', abort, { once: true });
    try {
      const run = await result;
      if (signal.aborted) throw signal.reason;
      if (run.ok) return { ok: true, text: run.stdout.trimEnd(), error: null };
      const why = run.spawnError ?? (run.timedOut ? `timed out after ${this.timeoutMs} ms` : `exit ${run.exitCode ?? run.signal}`);
      return { ok: false, text: '', error: `${this.command}: ${why}${run.stderr.trim() === '' ? '' : `: ${run.stderr.trim().slice(0, 500)}`}` };
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }
}

export function createAgent(config: AgentConfig): Agent {
  switch (config.kind) {
    case 'echo': return new EchoAgent(config.delayMs);
    case 'command': return new CommandAgent(config.command, config.args, config.timeoutMs);
  }
}
