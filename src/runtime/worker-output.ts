// The workers' stdout and stderr, as the monitor takes them: split into lines and appended to the
// gateway log by the monitor, its one writer. The worker's log records (json-log.ts) come on stdout; on stderr
// comes what Node itself prints (an uncaught exception's trace, warnings), and anything an agent
// prints goes where it printed. A worker killed mid-stream loses nothing it wrote: its lines are in
// the pipe, read to the end after it died.
import type { Readable } from 'node:stream';
import type { LineSink } from './log-sink.js';

/** A line longer than this without a newline is written as it is, so the monitor never buffers without bound. */
const MAX_PARTIAL_CHARS = 64 * 1024;

/** Hands one worker's output streams over; null where the child has none (a failed spawn). */
export type OutputCapture = (stdout: Readable | null, stderr: Readable | null) => void;

export class WorkerOutput {
  private readonly open = new Set<Promise<void>>();

  constructor(private readonly sink: LineSink) {}

  readonly capture: OutputCapture = (stdout, stderr) => {
    for (const stream of [stdout, stderr]) if (stream !== null) this.read(stream);
  };

  /**
   * Resolves once every captured stream has ended (the last lines of the workers that exited are
   * written), or after `timeoutMs` (a grandchild that inherited a worker's stdout keeps it open).
   */
  async settled(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    await Promise.race([Promise.all(this.open), timeout]);
    clearTimeout(timer);
  }

  private read(stream: Readable): void {
    let partial = '';
    const ended = new Promise<void>((resolve) => {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        while (partial.length > MAX_PARTIAL_CHARS) {
          lines.push(partial.slice(0, MAX_PARTIAL_CHARS));
          partial = partial.slice(MAX_PARTIAL_CHARS);
        }
        if (lines.length > 0) this.sink.append(lines);
      });
      stream.on('error', () => {}); // the worker died: what it wrote was read; 'close' follows
      stream.on('close', () => {
        if (partial !== '') this.sink.append([partial]);
        resolve();
      });
    });
    this.open.add(ended);
    void ended.then(() => this.open.delete(ended));
  }
}

/** Without a log to write (a supervisor under test): the worker's output goes to this process's own. */
export const relayToOwnOutput: OutputCapture = (stdout, stderr) => {
  // Relayed, never ended: this process's stdout/stderr outlive any one worker.
  stdout?.on('error', () => {}).pipe(process.stdout, { end: false });
  stderr?.on('error', () => {}).pipe(process.stderr, { end: false });
};
