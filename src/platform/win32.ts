// Process primitives for Windows, through kernel32 (win32-kernel32.ts). Import this module only on
// win32: every call goes to kernel32, which refuses to load elsewhere.
import { join } from 'node:path';
import { pipeEndpoint, windowsObjectHash } from './control-endpoint.js';
import { sendSignal } from './signal.js';
import {
  NULL_HANDLE, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_TERMINATE, SYNCHRONIZE, WAIT_ABANDONED, WAIT_OBJECT_0, WAIT_TIMEOUT,
  fileTimeToMs, kernel32, type FileTime,
} from './win32-kernel32.js';
import { runBounded } from './spawn.js';
import { callerInJob, spawnDetachedWin32, win32Error } from './win32-spawn.js';
import { listWindowsProcesses } from './win32-processes.js';
import type { ExitHandle, Platform, ProcessIdentity } from './types.js';

const TASKKILL_TIMEOUT_MS = 10_000;
/** Exit code given to a process we end with TerminateProcess (taskkill /F uses 1 too). */
const TERMINATED_EXIT_CODE = 1;

/** What liveness and identity need; enough for another user's process where Windows allows it. */
const QUERY_ACCESS = SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION;

/** Open a process for querying; null when it does not exist (or, rarely, we may not look at it). */
function openProcess(pid: number): number | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const handle = kernel32().OpenProcess(QUERY_ACCESS, 0, pid);
  return handle === NULL_HANDLE ? null : handle;
}

/** An exited process stays openable while anyone holds a handle to it: only the wait tells. */
function runningStartTime(handle: number): number | null {
  const k = kernel32();
  if (k.WaitForSingleObject(handle, 0) !== WAIT_TIMEOUT) return null;
  const creation: Partial<FileTime> = {};
  if (k.GetProcessTimes(handle, creation, {}, {}, {}) === 0) return null;
  return fileTimeToMs(creation as FileTime);
}

function startTimeOf(pid: number): number | null {
  const handle = openProcess(pid);
  if (handle === null) return null;
  try {
    return runningStartTime(handle);
  } finally {
    kernel32().CloseHandle(handle);
  }
}

/**
 * Open `identity` for waiting (WaitForSingleObject with no wait on a handle held open: the pid
 * cannot be reused under it); null when it is not running or the pid now belongs to another process
 * (its start time, read through the same handle, differs).
 */
function openExitHandle(identity: ProcessIdentity): ExitHandle | null {
  const handle = openProcess(identity.pid);
  if (handle === null) return null;
  if (runningStartTime(handle) !== identity.startTime) {
    kernel32().CloseHandle(handle);
    return null;
  }
  let open = true;
  return {
    exited: () => !open || kernel32().WaitForSingleObject(handle, 0) !== WAIT_TIMEOUT,
    close() {
      if (!open) return;
      open = false;
      kernel32().CloseHandle(handle);
    },
  };
}

export interface NamedMutex {
  readonly name: string;
  /** Release and close; the OS also does both when the owner dies. Call from the acquiring thread. */
  release(): void;
}

/** The single-instance lock's name for a profile: per user and profile, across sessions. */
export function profileMutexName(profileDir: string): string {
  return `Global\\gatehouse-${windowsObjectHash(profileDir)}`;
}

/**
 * Own the named mutex, or null when a live process owns it. Ownership is decided by waiting on the
 * mutex, not by ERROR_ALREADY_EXISTS alone: a status probe holding an unowned handle must not look
 * like a running gateway, and a mutex abandoned by a crashed owner (WAIT_ABANDONED) is ours to take.
 */
export function acquireNamedMutex(name: string): NamedMutex | null {
  const k = kernel32();
  const handle = k.CreateMutexW(null, 0, name);
  if (handle === NULL_HANDLE) throw win32Error(`CreateMutexW ${name}`, k.GetLastError());
  const waited = k.WaitForSingleObject(handle, 0);
  if (waited !== WAIT_OBJECT_0 && waited !== WAIT_ABANDONED) {
    k.CloseHandle(handle);
    return null;
  }
  let held = true;
  return {
    name,
    release() {
      if (!held) return;
      held = false;
      k.ReleaseMutex(handle);
      k.CloseHandle(handle);
    },
  };
}

/** System tools by absolute path: a PATH entry must never decide which taskkill runs. */
function systemTool(name: string): string {
  return join(process.env.SystemRoot ?? process.env.windir ?? 'C:\\Windows', 'System32', name);
}

export type TerminateHow = 'taskkill' | 'TerminateProcess' | 'gone' | 'failed';

/**
 * End one process, hard: `taskkill /F /PID n` first (what an admin would run, and what the logs
 * show), then TerminateProcess when taskkill is missing or fails. Never `/T`: the tree is walked by
 * the caller, which checks every descendant's start time (killProcessTree), while /T follows parent
 * pids that Windows keeps after a parent died and so can reach an unrelated process that reused
 * one; /T is also not implemented by Wine's taskkill. Callers check identity first.
 */
export function terminate(pid: number): TerminateHow {
  if (!win32.isAlive(pid)) return 'gone';
  const result = runBounded(systemTool('taskkill.exe'), ['/F', '/PID', String(pid)], { timeoutMs: TASKKILL_TIMEOUT_MS });
  if (result.ok) return 'taskkill';
  const k = kernel32();
  const handle = k.OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, 0, pid);
  if (handle === NULL_HANDLE) return win32.isAlive(pid) ? 'failed' : 'gone';
  try {
    return k.TerminateProcess(handle, TERMINATED_EXIT_CODE) !== 0 ? 'TerminateProcess' : win32.isAlive(pid) ? 'failed' : 'gone';
  } finally {
    k.CloseHandle(handle);
  }
}

/** Ignore Ctrl+C for this process (and what it starts later), and Ctrl+Break and close in Node. */
function absorbConsoleSignals(): boolean {
  // Node's default for SIGBREAK and SIGHUP with no listener is to end the process; a listener keeps
  // it. SetConsoleCtrlHandler(NULL, TRUE) makes Windows itself drop Ctrl+C for this process.
  for (const signal of ['SIGINT', 'SIGBREAK', 'SIGHUP'] as const) process.on(signal, () => {});
  return kernel32().SetConsoleCtrlHandler(null, 1) !== 0;
}

export const win32: Platform = {
  name: 'win32',
  processStartTime: startTimeOf,
  processIdentity(pid) {
    const startTime = startTimeOf(pid);
    return startTime === null ? null : { pid, startTime };
  },
  isAlive(pid) {
    const handle = openProcess(pid);
    if (handle === null) return false;
    try {
      return kernel32().WaitForSingleObject(handle, 0) === WAIT_TIMEOUT;
    } finally {
      kernel32().CloseHandle(handle);
    }
  },
  matchesIdentity(identity: ProcessIdentity) {
    return startTimeOf(identity.pid) === identity.startTime;
  },
  descendants(pid) {
    const rows = kernel32().listProcesses() ?? [];
    const children = new Map<number, number[]>();
    for (const r of rows) {
      if (r.th32ProcessID !== r.th32ParentProcessID) children.set(r.th32ParentProcessID, [...(children.get(r.th32ParentProcessID) ?? []), r.th32ProcessID]);
    }
    const found: ProcessIdentity[] = [];
    // Windows keeps a child's parent pid after the parent died, and pids are reused: a "child" that
    // started before its parent is another process's orphan, not a descendant.
    const visit = (parent: number, parentStart: number, depth: number): void => {
      if (depth > 64) return;
      for (const child of children.get(parent) ?? []) {
        const start = startTimeOf(child);
        if (start === null || start < parentStart) continue;
        visit(child, start, depth + 1);
        found.push({ pid: child, startTime: start });
      }
    };
    const rootStart = startTimeOf(pid);
    if (rootStart !== null) visit(pid, rootStart, 0);
    return found;
  },
  openExitHandle,
  spawnDetachedNatively(command, args, options) {
    const spawned = spawnDetachedWin32(command, args, options);
    return { pid: spawned.pid, detachedHow: spawned.detachedHow, mayDieWithCaller: !spawned.breakaway };
  },
  signal(pid, signal) {
    // Windows has no SIGTERM: libuv would map it and SIGKILL to TerminateProcess anyway. Graceful
    // stop goes through the control pipe or the planned-stop marker instead.
    if (signal === 'SIGTERM' || signal === 'SIGKILL') {
      const how = terminate(pid);
      if (how === 'failed') throw new Error(`could not end pid ${pid} (taskkill and TerminateProcess failed)`);
      return how !== 'gone';
    }
    return sendSignal(pid, signal);
  },
  controlEndpoint: pipeEndpoint,
  // Not implemented: GetExtendedTcpTable (iphlpapi) could tell; until then "unknown".
  findPortOwner: () => null,
  instanceLock: (profileDir) => acquireNamedMutex(profileMutexName(profileDir)),
  jobMembership() {
    const inJob = callerInJob();
    return inJob === null ? 'unknown' : inJob ? 'in-job' : 'none';
  },
  // With a terminal: Ctrl+C, Ctrl+Break and closing the console window drain (Windows gives a
  // closing console a few seconds). Without one, nothing: absorbConsoleSignals ignores them all.
  stopSignals: (noTerminal) => (noTerminal ? [] : ['SIGINT', 'SIGBREAK', 'SIGHUP']),
  // SIGUSR1 does not exist on Windows: a restart comes through the control pipe.
  restartSignal: null,
  absorbConsoleSignals,
  // Natively (Toolhelp + each process's PEB), then wmic, then PowerShell: win32-processes.ts.
  processRows: listWindowsProcesses,
};
