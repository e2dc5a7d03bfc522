// The one door for child processes: no other module imports node:child_process (test/unit/one-door
// checks it). The options of every kind of child are computed by one pure function,
// spawnOptionsFor(kind, platform), so what each OS gets is tested without starting anything. On
// Windows every child hides its window (windowsHide, and no inherited stdio slot: libuv adds
// CREATE_NO_WINDOW only then), and none uses `detached` (DETACHED_PROCESS: a console-less process,
// whose console children flash) or `shell` (cmd.exe re-parses the arguments).
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { invocationFor, resolveWindowsCommand } from './cmd-shim.js';
import { currentPlatform } from './select.js';
import type { DetachedSpawnOptions, Platform, ProcessIdentity } from './types.js';

const { closeSync, openSync } = process.getBuiltinModule('node:fs');
/**
 * node:child_process on first use, not at import: `status` and `send` load this module (the
 * platform runs its tools through it) and usually start nothing, and child_process brings dgram,
 * its socket list and the stream machinery with it.
 */
const childProcess = (): typeof import('node:child_process') => process.getBuiltinModule('node:child_process');

export type { DetachedSpawnOptions } from './types.js';

const KILL_GRACE_MS = 2_000;

/**
 * - `bounded`: a short OS tool run synchronously (ps, systemctl, taskkill), output captured;
 * - `program`: an agent program, stdin/stdout/stderr piped;
 * - `worker`: the monitor's worker child, with an IPC channel;
 * - `detached`: a process that outlives its caller (POSIX only: Windows uses CreateProcessW);
 * - `cmd-shim`: cmd.exe running a .cmd/.bat shim (Windows only), arguments passed verbatim.
 */
export type SpawnKind = 'bounded' | 'program' | 'worker' | 'detached' | 'cmd-shim';

/** A stdio slot; 'log' is where the caller passes the log file's descriptor. */
export type StdioSlot = 'pipe' | 'ignore' | 'inherit' | 'ipc' | 'log';

/** The options that decide how a child is created; env, cwd and the like are added by each caller. */
export interface DoorOptions {
  readonly stdio: readonly StdioSlot[];
  readonly windowsHide: true;
  readonly detached: boolean;
  readonly shell: false;
  readonly windowsVerbatimArguments: boolean;
}

/** How a child of `kind` is created on `os`. Pure: no I/O, so both OSes are tested anywhere. */
export function spawnOptionsFor(kind: SpawnKind, os: NodeJS.Platform): DoorOptions {
  const win = os === 'win32';
  const base = { windowsHide: true, shell: false, windowsVerbatimArguments: false } as const;
  switch (kind) {
    case 'bounded':
      return { ...base, stdio: ['pipe', 'pipe', 'pipe'], detached: false };
    case 'program':
      // POSIX: its own process group, so Ctrl+C in a foreground `run` reaches the monitor, which
      // drains; the agent program is not interrupted by the terminal behind the monitor's back, and
      // a timeout kills the whole group. Windows: never detached (see the header).
      return { ...base, stdio: ['pipe', 'pipe', 'pipe'], detached: !win };
    case 'worker':
      // The worker's stdout and stderr are pipes that the monitor reads and writes to the gateway
      // log itself (runtime/worker-output.ts): the log's one writer, so it can rotate it while the
      // worker runs. On Windows an inherited slot would also stop libuv from adding
      // CREATE_NO_WINDOW; the worker would then share the monitor's console, or, when the monitor
      // has none (embedded in a GUI app, started by a console-less parent), get a new visible one.
      // With pipes it gets its own hidden console, out of reach of a Ctrl+C typed in the monitor's terminal.
      return { ...base, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: false };
    case 'detached':
      if (win) throw new Error('on Windows a detached process is created with CreateProcessW (spawnDetachedWin32), not child_process');
      return { ...base, stdio: ['ignore', 'log', 'log'], detached: true };
    case 'cmd-shim':
      if (!win) throw new Error('.cmd shims exist on Windows only');
      // The command line for cmd.exe is built by cmdShimCommandLine and must reach it unchanged.
      return { ...base, stdio: ['pipe', 'pipe', 'pipe'], detached: false, windowsVerbatimArguments: true };
  }
}

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

/** Node's spawn options for a door, with the log file's descriptor in the 'log' slots. */
function nodeOptions(door: DoorOptions, logFd?: number): SpawnOptions {
  const stdio = door.stdio.map((slot) => {
    if (slot !== 'log') return slot;
    if (logFd === undefined) throw new Error('this kind of child needs a log file descriptor');
    return logFd;
  });
  return { stdio, windowsHide: door.windowsHide, detached: door.detached, shell: door.shell, windowsVerbatimArguments: door.windowsVerbatimArguments };
}

/**
 * A tool's output as text: UTF-8, except output that starts with a UTF-16LE byte order mark (wmic
 * writes UTF-16LE with a BOM to a pipe, on Windows and under Wine). FF FE never starts valid UTF-8.
 */
export function decodeToolOutput(bytes: Buffer | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  return bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.subarray(2).toString('utf16le') : bytes.toString('utf8');
}

function runSync(command: string, args: readonly string[], door: DoorOptions, options: RunOptions): RunResult {
  const result = childProcess().spawnSync(command, args, {
    ...nodeOptions(door),
    input: options.input,
    env: options.env,
    cwd: options.cwd,
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    encoding: 'buffer',
  });
  const timedOut = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  const spawnError = result.error !== undefined && !timedOut ? result.error.message : null;
  return {
    ok: result.status === 0 && spawnError === null && !timedOut,
    exitCode: result.status,
    signal: result.signal,
    timedOut,
    stdout: decodeToolOutput(result.stdout),
    stderr: decodeToolOutput(result.stderr),
    spawnError,
  };
}

/** Run a short OS tool synchronously, bounded. Exit 0 is ok; interpreting output is the caller's job. */
export function runBounded(command: string, args: readonly string[], options: RunOptions): RunResult {
  return runSync(command, args, spawnOptionsFor('bounded', process.platform), options);
}

/** A program run by runProgram: its result, and how to end it (and whatever it started) early. */
export interface RunningProgram {
  readonly result: Promise<RunResult>;
  /** null when it could not be started at all (the result says why). */
  readonly child: ChildProcess | null;
  /** End the program's whole tree: SIGTERM, then SIGKILL after a grace period. */
  stop(): void;
}

const notStarted = (why: string): RunningProgram => ({
  result: Promise.resolve({ ok: false, exitCode: null, signal: null, timedOut: false, stdout: '', stderr: '', spawnError: why }),
  child: null,
  stop: () => {},
});

/**
 * Run a program asynchronously with stdin `input`, killing its whole tree after timeoutMs. A .cmd or
 * .bat on Windows (npx.cmd and other npm shims) runs through cmd.exe (invocationFor); an argument it
 * cannot carry, or a program that cannot be started, gives a result with spawnError, never a throw.
 */
export function runProgram(command: string, args: readonly string[], options: RunOptions): RunningProgram {
  let child: ChildProcess;
  try {
    const env = options.env ?? process.env;
    const how = invocationFor(process.platform === 'win32' ? resolveWindowsCommand(command, env) : command, args, process.platform, env);
    child = childProcess().spawn(how.file, how.args, { ...nodeOptions(spawnOptionsFor(how.kind, process.platform)), env: options.env, cwd: options.cwd });
  } catch (error) {
    // Node throws at once for some refusals (EINVAL, ENAMETOOLONG); the shim line for bad arguments.
    return notStarted(`cannot start ${command}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    killTree(child, 'SIGTERM');
    setTimeout(() => killTree(child, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  const result = new Promise<RunResult>((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: string | null = null;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    child.on('error', (error) => { spawnError = error.message; });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ ok: exitCode === 0 && !timedOut && spawnError === null, exitCode, signal, timedOut, stdout, stderr, spawnError });
    });
    child.stdin?.on('error', () => { /* the program may exit without reading its input: EPIPE is not our failure */ });
    child.stdin?.end(options.input ?? '');
  });
  return { result, child, stop };
}

/**
 * POSIX: signal the program's process group (it may have forked). Windows has no groups to signal:
 * end its descendants (identity-checked, deepest first) and then it, so that the node.exe behind a
 * .cmd shim does not outlive the cmd.exe that started it.
 */
function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    const platform = currentPlatform();
    if (platform.name === 'win32') {
      for (const descendant of platform.descendants(child.pid)) endIfStill(platform, descendant);
      child.kill(signal);
    } else {
      process.kill(-child.pid, signal); // negative pid: the whole group the program may have forked
    }
  } catch {
    // already gone
  }
}

/** End one descendant hard (Windows: taskkill, else TerminateProcess), if it is still the process found. */
function endIfStill(platform: Platform, descendant: ProcessIdentity): void {
  try {
    if (platform.matchesIdentity(descendant)) platform.signal(descendant.pid, 'SIGKILL');
  } catch {
    // could not end this one (taskkill and TerminateProcess failed): the others are still ended
  }
}

export interface WorkerSpawnOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/**
 * Start the worker child with an IPC channel. Its stdout and stderr are pipes for the caller to
 * read (see spawnOptionsFor). It dies with the monitor: it exits when the IPC channel closes.
 */
export function spawnWorkerProcess(entry: string, args: readonly string[], options: WorkerSpawnOptions): ChildProcess {
  const child = childProcess().spawn(process.execPath, [...process.execArgv, entry, ...args], {
    ...nodeOptions(spawnOptionsFor('worker', process.platform)),
    env: options.env,
    cwd: options.cwd,
    serialization: 'json',
  });
  return child;
}

export interface DetachedSpawn {
  readonly pid: number;
  /** Present where Node started the process (POSIX): its exit can be observed with the code. */
  readonly child: ChildProcess | null;
  /** How the process was detached (setsid, breakaway, no-job, breakaway-refused, in-job), for the log and status. */
  readonly detachedHow: string;
  /** True when it may die with a job object its caller is in (Windows, breakaway refused). */
  readonly mayDieWithCaller: boolean;
}

/**
 * Start a process that outlives its caller, its terminal and its process group: on POSIX a new
 * session (setsid), so neither a hangup nor a kill of the caller's group reaches it; on Windows
 * CreateProcessW with breakaway from the caller's job (Node's detached cannot escape a job), and
 * without it when the job forbids breakaway.
 */
export function spawnDetached(command: string, args: readonly string[], options: DetachedSpawnOptions): DetachedSpawn {
  const native = currentPlatform().spawnDetachedNatively;
  if (native !== null) return { ...native(command, args, options), child: null };
  const fd = openSync(options.logFile, 'a', 0o600);
  try {
    const child = childProcess().spawn(command, args, { ...nodeOptions(spawnOptionsFor('detached', process.platform), fd), env: options.env, cwd: options.cwd });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return { pid: child.pid, child, detachedHow: 'setsid', mayDieWithCaller: false };
  } finally {
    closeSync(fd);
  }
}
