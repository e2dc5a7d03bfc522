// Every process the benchmark starts: tracking, the cleanup registry, bounded CLI runs, identity-checked kills.
//
// All of it lives in one module so that an abort (SIGINT/SIGTERM) can reach every child and every
// pending cleanup, whichever scenario started it.
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { platform, type ProcessIdentity } from '../src/platform/index.js';
import { killProcessTree } from '../src/runtime/process-tree.js';
import { now } from './clock.js';

export const CLI_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started here is registered, and torn down in reverse order.

type Cleanup = { readonly label: string; readonly run: () => Promise<void> | void };
const cleanups: Cleanup[] = [];

export function onCleanup(label: string, run: () => Promise<void> | void): void {
  cleanups.push({ label, run });
}

/** The promise, or undefined once ms passed; the timer does not keep the process alive after. */
export async function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolveLate) => { timer = setTimeout(() => resolveLate(undefined), ms); });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Set by SIGINT/SIGTERM: nothing new is started, and the programs still running are killed. */
let aborted = false;
const running = new Set<ChildProcess>();

/** Every process the benchmark starts goes through here, so an abort can stop them all. */
function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

export function startProcess(command: string, args: readonly string[], options: Parameters<typeof spawn>[2], forCleanup = false): ChildProcess {
  if (aborted && !forCleanup) throw new Error('aborted');
  return track(spawn(command, args, options));
}

export function abortRunning(): void {
  aborted = true;
  for (const child of running) killObserved(identityOf(child.pid));
}

let cleaning: Promise<void> | null = null;

/** Run every cleanup once, newest first; a second caller (a signal during the run) waits for the first. */
export function runCleanups(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const c = cleanups.pop() as Cleanup;
      try {
        await bounded(Promise.resolve(c.run()), 30_000);
      } catch (error) {
        process.stderr.write(`cleanup (${c.label}) failed: ${String(error)}\n`);
      }
    }
  })().finally(() => { cleaning = null; });
  return cleaning;
}

/** Kill a process tree we observed, only while its pid still names the same process. */
export function killObserved(identity: ProcessIdentity | null): void {
  if (identity !== null) killProcessTree(identity, 'SIGKILL');
}

export function identityOf(pid: number | undefined): ProcessIdentity | null {
  if (pid === undefined) return null;
  const startTime = platform.processStartTime(pid);
  return startTime === null ? null : { pid, startTime };
}

// ---------------------------------------------------------------------------------------------
// Bounded runs of a CLI on the benchmark's Node

export interface CliRun {
  readonly child: ChildProcess;
  readonly startedAt: number;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; endedAt: number }>;
}

/** Run a program with the benchmark's Node; bounded: SIGKILL after timeoutMs. */
export function runNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = CLI_TIMEOUT_MS, forCleanup = false): CliRun {
  const startedAt = now();
  const child = startProcess(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() }, forCleanup);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; endedAt: number }>((resolveDone) => {
    const timer = setTimeout(() => {
      stderr += `\n[bench] killed after ${timeoutMs} ms`;
      killObserved(identityOf(child.pid));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveDone({ code, signal, stdout, stderr, endedAt: now() });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolveDone({ code: null, signal: null, stdout, stderr: `${stderr}${error.message}`, endedAt: now() });
    });
  });
  return { child, startedAt, done };
}

export async function cli(script: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = CLI_TIMEOUT_MS, forCleanup = false): Promise<{ ms: number; stdout: string; stderr: string; code: number | null }> {
  const run = runNode(script, args, env, timeoutMs, forCleanup);
  const result = await run.done;
  return { ms: result.endedAt - run.startedAt, stdout: result.stdout, stderr: result.stderr, code: result.code };
}

export function ensureOk(what: string, result: { code: number | null; stdout: string; stderr: string }): void {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}: ${(result.stderr || result.stdout).trim().slice(-400)}`);
}
