// The dashboard's probes are `gatehouse status --deep --json`, run by the worker as a command of
// its own profile and home. Not recomputed here: the probes look at the gateway from outside (the
// control endpoint's handshake, the PID file against the OS, the state file, the service manager,
// the model server), which is what status --deep is for, and src/gateway must not import the CLI's
// src/control. Running the real command gives the page exactly the probes the terminal shows.
// One run at a time, and its result is reused for CACHE_MS, so a page refreshing every few seconds
// (or several tabs) costs one short process every CACHE_MS at most.
import { commandEnv } from '../../env.js';
import type { ProfilePaths } from '../../paths.js';
import { runProgram } from '../../platform/spawn.js';
import { ENTRY_SCRIPT } from '../../version.js';

const CACHE_MS = 5_000;
/** status --deep asks the control endpoint (1.5 s bound) and the model server: generous. */
const RUN_TIMEOUT_MS = 20_000;

export interface DeepStatus {
  /** The status object (what `status --deep --json` prints), or null when it could not be read. */
  readonly status: Record<string, unknown> | null;
  readonly error: string | null;
  readonly at: string;
}

export class StatusProbe {
  private last: { value: DeepStatus; at: number } | null = null;
  private running: Promise<DeepStatus> | null = null;

  constructor(private readonly paths: ProfilePaths) {}

  get(): Promise<DeepStatus> {
    if (this.last !== null && Date.now() - this.last.at < CACHE_MS) return Promise.resolve(this.last.value);
    this.running ??= this.run().then((value) => {
      this.last = { value, at: Date.now() };
      this.running = null;
      return value;
    });
    return this.running;
  }

  private async run(): Promise<DeepStatus> {
    const at = new Date().toISOString();
    const args = [ENTRY_SCRIPT, 'status', '--deep', '--json', '--profile', this.paths.profile];
    const result = await runProgram(process.execPath, args, { timeoutMs: RUN_TIMEOUT_MS, env: commandEnv(this.paths.home), cwd: this.paths.dir }).result;
    // status exits 0, 1 or 3 by what it found; its JSON is the answer in every case.
    try {
      const status = JSON.parse(result.stdout) as unknown;
      if (typeof status === 'object' && status !== null) return { status: status as Record<string, unknown>, error: null, at };
    } catch {
      // reported below
    }
    const why = result.spawnError ?? (result.timedOut ? `no answer within ${RUN_TIMEOUT_MS} ms` : `exit ${String(result.exitCode)}: ${result.stderr.trim().slice(0, 500)}`);
    return { status: null, error: `gatehouse status --deep failed: ${why}`, at };
  }
}
