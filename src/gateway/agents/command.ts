// `command`: runs a program with the message on stdin and takes the reply from stdout; a non-zero
// exit fails the message with stderr as the error.
import { runProgram } from '../../platform/spawn.js';
import { failed, replied, type Agent, type AgentReply, type AgentRequest } from './types.js';

export class CommandAgent implements Agent {
  constructor(private readonly command: string, private readonly args: readonly string[], private readonly timeoutMs: number) {}

  async reply({ text, signal }: AgentRequest): Promise<AgentReply> {
    const { result, stop } = runProgram(this.command, this.args, { timeoutMs: this.timeoutMs, input: text });
    const abort = (): void => { stop(); };
    signal.addEventListener('abort', abort, { once: true });
    try {
      const run = await result;
      if (signal.aborted) throw signal.reason;
      if (run.ok) return replied(run.stdout.trimEnd());
      const why = run.spawnError ?? (run.timedOut ? `timed out after ${this.timeoutMs} ms` : `exit ${run.exitCode ?? run.signal}`);
      return failed(`${this.command}: ${why}${run.stderr.trim() === '' ? '' : `: ${run.stderr.trim().slice(0, 500)}`}`);
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }
}
