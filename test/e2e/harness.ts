// Real processes for end-to-end tests: a temporary GATEHOUSE_HOME per test, the real CLI run with
// the same Node, and cleanup that kills whatever a test left running (identity-checked).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { ApiClient } from '../../src/control/api-client.js';
import { profilePaths, type ProfilePaths } from '../../src/paths.js';
import { readPidFile } from '../../src/runtime/pid-file.js';
import { killProcessTree } from '../../src/runtime/process-tree.js';
import { readStateFile } from '../../src/runtime/state-file.js';
import { platform } from '../../src/platform/index.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const DEFAULT_CLI_TIMEOUT_MS = 60_000;

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class TestHome {
  readonly home: string;
  private readonly children: ChildProcess[] = [];

  constructor() {
    this.home = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  }

  paths(profile = 'default'): ProfilePaths {
    return profilePaths(profile, this.env());
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    // A short confirm window keeps the suite quick; the default (1 s) is exercised by the README flow.
    // Service directories point into the temp home too: no test reads or writes the real user's.
    return {
      ...process.env, GATEHOUSE_HOME: this.home, GATEHOUSE_START_CONFIRM_MS: '300', NO_COLOR: '1',
      XDG_CONFIG_HOME: join(this.home, 'xdg-config'), GATEHOUSE_LAUNCH_AGENTS_DIR: join(this.home, 'LaunchAgents'),
      GATEHOUSE_STARTUP_DIR: join(this.home, 'Startup'), ...extra,
    };
  }

  /** Write config.json; the API port defaults to 0 (any free port) so tests never collide. */
  writeConfig(config: Record<string, unknown>, profile = 'default'): void {
    const paths = this.paths(profile);
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    const api = { host: '127.0.0.1', port: 0, ...(config.api as object | undefined) };
    writeFileSync(paths.config, JSON.stringify({ ...config, api }));
  }

  writeRawConfig(text: string, profile = 'default'): void {
    const paths = this.paths(profile);
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    writeFileSync(paths.config, text);
  }

  /** Run the CLI to completion. */
  cli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
    const child = this.spawnCli(args, options.env);
    return collect(child, options.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS);
  }

  /** Start the CLI and leave it running (for `run`, `logs -f`); killed at cleanup. */
  spawnCli(args: readonly string[], env?: NodeJS.ProcessEnv, detached = false): ChildProcess {
    const child = spawn(process.execPath, [CLI, ...args], { env: this.env(env), stdio: ['ignore', 'pipe', 'pipe'], detached });
    this.children.push(child);
    return child;
  }

  async start(profile = 'default'): Promise<number> {
    const result = await this.cli(['start', '--profile', profile]);
    if (result.code !== 0) throw new Error(`start failed (${result.code}): ${result.stdout}${result.stderr}`);
    const pid = /pid (\d+)/.exec(result.stdout)?.[1];
    if (pid === undefined) throw new Error(`start printed no pid: ${result.stdout}`);
    return Number(pid);
  }

  token(profile = 'default'): string {
    return readFileSync(this.paths(profile).token, 'utf8').trim();
  }

  apiUrl(profile = 'default'): string {
    const state = readStateFile(this.paths(profile).stateFile);
    if (state.kind !== 'ok' || state.value.api === null) throw new Error('no API url in the state file');
    return state.value.api.url;
  }

  api(profile = 'default'): ApiClient {
    return new ApiClient(this.apiUrl(profile), this.token(profile));
  }

  state(profile = 'default'): ReturnType<typeof readStateFile> {
    return readStateFile(this.paths(profile).stateFile);
  }

  lifecycle(profile = 'default'): Array<Record<string, unknown>> {
    try {
      return readFileSync(this.paths(profile).lifecycleLog, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  }

  /** Read the session store directly (the gateway may be stopped). */
  messages(profile = 'default'): Array<{ id: string; session_id: string; role: string; status: string; reply_to: string | null; text: string }> {
    const db = new DatabaseSync(this.paths(profile).database, { readOnly: true });
    try {
      return db.prepare('SELECT id, session_id, role, status, reply_to, text FROM messages ORDER BY seq').all() as never;
    } finally {
      db.close();
    }
  }

  /** Kill anything the test left running (by PID file identity and by spawned child), then remove the home. */
  async cleanup(): Promise<void> {
    for (const profile of ['default', 'a', 'b', 'c']) {
      const record = readPidFile(this.paths(profile).pidFile);
      if (record.kind === 'ok') killProcessTree(record.value, 'SIGKILL');
    }
    for (const child of this.children) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        const startTime = platform.processStartTime(child.pid);
        if (startTime !== null) killProcessTree({ pid: child.pid, startTime }, 'SIGKILL');
      }
    }
    await sleep(50);
    rmSync(this.home, { recursive: true, force: true });
  }
}

export function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`command did not finish within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Poll until the condition holds; fails the test with `what` when the bound passes. */
export async function eventually<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await sleep(50);
  }
}

export async function healthz(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export function isAlive(pid: number): boolean {
  return platform.isAlive(pid);
}

export function workerPid(home: TestHome, profile = 'default'): number {
  const state = home.state(profile);
  if (state.kind !== 'ok' || state.value.worker === null) throw new Error('no worker in the state file');
  return state.value.worker.pid;
}

/**
 * SIGKILLs of a serving worker the lifecycle log recorded (a crash each). A standby that was still
 * booting when it was dismissed (the breaker opening, say) is SIGKILLed too; its exit says
 * `standby` and is not a crash of the gateway.
 */
export function workerCrashes(home: TestHome, profile = 'default'): number {
  return home.lifecycle(profile).filter((e) => e.event === 'worker_exit' && e.signal === 'SIGKILL' && e.standby !== true).length;
}
