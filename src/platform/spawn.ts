// The one door for child processes: no other module imports node:child_process. Every call here
// hides windows on Windows and bounds how long it may take.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { spawnDetachedWin32 } from './win32.js';

const KILL_GRACE_MS = 2_000;

/** One shape for success and failure; callers never parse message text. */
export interface RunResult {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  readonly spawnError: string | null;
}

export interface RunOptions {
  readonly timeoutMs: number;
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Run a short OS tool synchronously, bounded. Exit 0 is ok; interpreting output is the caller's job. */
export function runBounded(command: string, args: readonly string[], options: RunOptions): RunResult {
  const result = spawnSync(command, args, {
    input: options.input,
    env: options.env,
    cwd: options.cwd,
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    windowsHide: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const timedOut = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  const spawnError = result.error !== undefined && !timedOut ? result.error.message : null;
  return {
    ok: result.status === 0 && spawnError === null && !timedOut,
    exitCode: result.status,
    signal: result.signal,
    timedOut,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    spawnError,
  };
}

/** Run a program asynchronously with stdin `input`, killing its whole process group after timeoutMs. */
export function runProgram(command: string, args: readonly string[], options: RunOptions): { result: Promise<RunResult>; child: ChildProcess } {
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    windowsHide: true,
    // Own process group: Ctrl+C in a foreground `run` reaches the monitor, which drains; the agent
    // program must not be interrupted by the terminal behind the monitor's back.
    detached: process.platform !== 'win32',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const result = new Promise<RunResult>((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: string | null = null;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS).unref();
    }, options.timeoutMs);
    child.on('error', (error) => { spawnError = error.message; });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ ok: exitCode === 0 && !timedOut && spawnError === null, exitCode, signal, timedOut, stdout, stderr, spawnError });
    });
    child.stdin?.on('error', () => { /* the program may exit without reading its input: EPIPE is not our failure */ });
    child.stdin?.end(options.input ?? '');
  });
  return { result, child };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (process.platform === 'win32') child.kill(signal);
    else process.kill(-child.pid, signal); // negative pid: the whole group the program may have forked
  } catch {
    // already gone
  }
}

export interface WorkerSpawnOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/**
 * Start the worker child with an IPC channel. It shares the monitor's stdout/stderr (the log file
 * when detached) and dies with the monitor: it exits when the IPC channel closes.
 */
export function spawnWorkerProcess(entry: string, args: readonly string[], options: WorkerSpawnOptions): ChildProcess {
  return spawn(process.execPath, [...process.execArgv, entry, ...args], {
    env: options.env,
    cwd: options.cwd,
    windowsHide: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
}

export interface DetachedSpawnOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** stdout and stderr go here (appended); stdin is /dev/null. */
  readonly logFile: string;
}

export interface DetachedSpawn {
  readonly pid: number;
  /** Present where Node started the process (POSIX): its exit can be observed with the code. */
  readonly child: ChildProcess | null;
  /** How the process was detached (setsid, breakaway, breakaway-refused...), for the log and status. */
  readonly detachedHow: string;
}

/**
 * Start a process that outlives its caller, its terminal and its process group: on POSIX a new
 * session (setsid), so neither a hangup nor a kill of the caller's group reaches it; on Windows
 * CreateProcessW with breakaway from the caller's job (Node's detached cannot escape a job), and
 * without it when the job forbids breakaway.
 */
export function spawnDetached(command: string, args: readonly string[], options: DetachedSpawnOptions): DetachedSpawn {
  if (process.platform === 'win32') {
    const spawned = spawnDetachedWin32(command, args, options);
    return { pid: spawned.pid, child: null, detachedHow: spawned.detachedHow };
  }
  const fd = openSync(options.logFile, 'a', 0o600);
  try {
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      detached: true,
      windowsHide: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return { pid: child.pid, child, detachedHow: 'setsid' };
  } finally {
    closeSync(fd);
  }
}
