// Creating a process that outlives its caller on Windows (CreateProcessW with breakaway from the
// caller's job, which Node's child_process cannot ask for), and job membership. Windows only, like
// win32.ts, which exposes it as the platform's spawnDetachedNatively and jobMembership.
import {
  CREATE_BREAKAWAY_FROM_JOB, CREATE_NEW_PROCESS_GROUP, CREATE_NO_WINDOW, CREATE_UNICODE_ENVIRONMENT, CURRENT_PROCESS,
  ERROR_ACCESS_DENIED, FILE_APPEND_DATA, FILE_SHARE_READ_WRITE_DELETE, GENERIC_READ, INVALID_HANDLE_VALUE,
  NULL_HANDLE, OPEN_ALWAYS, OPEN_EXISTING, fileTimeToMs, kernel32, type FileTime, type ProcessInformation,
} from './win32-kernel32.js';
import { buildWindowsCommandLine } from './win-cmdline.js';
import type { DetachedSpawnOptions } from './types.js';

/** Every child: its own group (a Ctrl+C/Ctrl+Break in the caller's console does not reach it) and a
 * hidden console that its own console children inherit. Never DETACHED_PROCESS (see DESIGN.md). */
const DETACHED_FLAGS = CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT;

/** A CREATE_UNICODE_ENVIRONMENT block: KEY=VALUE\0 ... \0, sorted case-insensitively as Windows expects. */
export function environmentBlock(env: NodeJS.ProcessEnv): Buffer {
  const entries = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== '' && !e[0].includes('='));
  entries.sort(([a], [b]) => (a.toUpperCase() < b.toUpperCase() ? -1 : a.toUpperCase() > b.toUpperCase() ? 1 : 0));
  return Buffer.from(`${entries.map(([k, v]) => `${k}=${v}\0`).join('')}\0`, 'utf16le');
}

export interface Win32SpawnOptions extends DetachedSpawnOptions {
  /** Try CREATE_BREAKAWAY_FROM_JOB first (default). false: stay in the caller's job on purpose. */
  readonly breakaway?: boolean;
}

/**
 * How the child was detached, as observed (IsProcessInJob on the child right after creation):
 * - `breakaway`: the caller is in a job, the job allowed breakaway, the child is in no job;
 * - `no-job`: the caller is in no job, so there was nothing to escape;
 * - `breakaway-refused`: the caller's job forbids breakaway (ERROR_ACCESS_DENIED): the child was
 *   started inside it and dies with it if the job is KILL_ON_JOB_CLOSE;
 * - `in-job`: the child is in a job although no refusal was seen (breakaway not asked for, or a job
 *   that Windows applies anyway).
 */
export type DetachedHow = 'breakaway' | 'no-job' | 'breakaway-refused' | 'in-job';

export interface Win32Spawn {
  readonly pid: number;
  /** Creation time read from the process handle before it was closed: identity without a pid race. */
  readonly startTime: number;
  /** True when the child is outside every job (it cannot die with the caller's job). */
  readonly breakaway: boolean;
  readonly detachedHow: DetachedHow;
}

function openStdHandle(path: string, access: number, disposition: number): number {
  const handle = kernel32().CreateFileW(path, access, FILE_SHARE_READ_WRITE_DELETE, true, disposition);
  if (handle === INVALID_HANDLE_VALUE) throw win32Error(`open ${path}`, kernel32().GetLastError());
  return handle;
}

export function win32Error(what: string, code: number): Error & { winError: number } {
  return Object.assign(new Error(`${what} failed: Win32 error ${code}`), { winError: code });
}

/** True when `handle` (a process) is in some job; null when Windows would not say. */
function inAnyJob(handle: number): boolean | null {
  const result = [0];
  return kernel32().IsProcessInJob(handle, NULL_HANDLE, result) === 0 ? null : result[0] !== 0;
}

/** True when the calling process is in a job (Node's own job, a terminal's, a CI runner's...). */
export function callerInJob(): boolean | null {
  return inAnyJob(CURRENT_PROCESS);
}

/**
 * Start a process that outlives its caller: CreateProcessW with CREATE_NEW_PROCESS_GROUP |
 * CREATE_NO_WINDOW | CREATE_BREAKAWAY_FROM_JOB; when a job forbids breakaway (ERROR_ACCESS_DENIED),
 * once more without it. The caller records `detachedHow` in the lifecycle log and shows it in status.
 * An argument the command line cannot carry (NUL) throws UnrepresentableError before anything starts.
 */
export function spawnDetachedWin32(command: string, args: readonly string[], options: Win32SpawnOptions): Win32Spawn {
  const k = kernel32();
  const commandLine = buildWindowsCommandLine([command, ...args]);
  const environment = environmentBlock(options.env);
  const callerJob = callerInJob();
  const stdin = openStdHandle('NUL', GENERIC_READ, OPEN_EXISTING);
  let out: number = NULL_HANDLE;
  try {
    out = openStdHandle(options.logFile, FILE_APPEND_DATA, OPEN_ALWAYS);
    const stdio = { hStdInput: stdin, hStdOutput: out, hStdError: out };
    const create = (flags: number): { info: ProcessInformation | null; error: number } => {
      const info: Partial<ProcessInformation> = {};
      const ok = k.CreateProcessW(commandLine, flags, environment, options.cwd, stdio, info);
      return ok === 0 ? { info: null, error: k.GetLastError() } : { info: info as ProcessInformation, error: 0 };
    };
    const askBreakaway = options.breakaway !== false;
    let attempt = create(DETACHED_FLAGS | (askBreakaway ? CREATE_BREAKAWAY_FROM_JOB : 0));
    const refused = askBreakaway && attempt.info === null && attempt.error === ERROR_ACCESS_DENIED;
    if (refused) attempt = create(DETACHED_FLAGS);
    if (attempt.info === null) throw win32Error(`CreateProcessW ${commandLine}`, attempt.error);
    const { hProcess, hThread, dwProcessId } = attempt.info;
    try {
      const creation: Partial<FileTime> = {};
      k.GetProcessTimes(hProcess, creation, {}, {}, {});
      const childJob = inAnyJob(hProcess);
      const detachedHow: DetachedHow = refused ? 'breakaway-refused'
        : childJob === true ? 'in-job' : callerJob === false ? 'no-job' : 'breakaway';
      return { pid: dwProcessId, startTime: fileTimeToMs(creation as FileTime), breakaway: childJob === false, detachedHow };
    } finally {
      k.CloseHandle(hThread);
      k.CloseHandle(hProcess);
    }
  } finally {
    k.CloseHandle(stdin);
    if (out !== NULL_HANDLE) k.CloseHandle(out);
  }
}
