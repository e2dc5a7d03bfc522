// Watching another process end, and finding our own parent by identity. Used by the monitor under
// the Windows launcher: Task Scheduler's `schtasks /End` ends only the launcher (wscript.exe) that
// waits on the monitor, and nothing signals the monitor; so a monitor started by the launcher
// watches it and drains when it is gone, instead of living on as an orphan that holds the port.
// How the exit is seen is the platform's (openExitHandle): on Windows a process handle held open and
// polled with a zero wait (the pid cannot be reused while we hold it), elsewhere pid + start time.
import { platform } from './index.js';
import type { ProcessIdentity } from './types.js';

/** How often the watched process is looked at: a stop by the manager is noticed within this. */
export const EXIT_POLL_MS = 500;

/**
 * Whether a service manager on this OS stops the service by ending the monitor's parent, not by
 * signalling the monitor: true on Windows, where the task's action (the launcher) is the parent and
 * `schtasks /End` terminates only that. systemd and launchd signal the monitor itself.
 */
export const managerStopEndsParent: boolean = platform.name === 'win32';

export interface ExitWatch {
  close(): void;
}

/**
 * This process's parent, as an identity; null when it is gone (we are an orphan): no live process
 * has its pid, or the one that has it started after us (the pid was reused).
 */
export function parentIdentity(): ProcessIdentity | null {
  const pid = process.ppid;
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const parent = platform.processIdentity(pid);
  const own = platform.processIdentity(process.pid);
  if (parent === null || (own !== null && startedAfter(parent, own))) return null;
  return parent;
}

/** Ticks when both have them (a wall-clock step moves startTime, not ticks), else startTime. */
function startedAfter(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.startTicks !== undefined && b.startTicks !== undefined ? a.startTicks > b.startTicks : a.startTime > b.startTime;
}

/**
 * Call `onExit` once, when `identity` has exited (at once, on the next tick, when it is not running
 * now). The poll timer is unref'd: watching never keeps a process alive.
 */
export function watchExit(identity: ProcessIdentity, onExit: () => void, pollMs = EXIT_POLL_MS): ExitWatch {
  const handle = platform.openExitHandle(identity);
  // A process we could not open (gone, or its pid reused) has exited as far as we know.
  const exited = handle === null ? () => true : () => handle.exited();
  let timer: NodeJS.Timeout | null = setInterval(() => check(), pollMs);
  timer.unref();
  const close = (): void => {
    if (timer !== null) clearInterval(timer);
    timer = null;
    handle?.close();
  };
  const check = (): void => {
    if (timer === null || !exited()) return;
    close();
    onExit();
  };
  setImmediate(check); // already gone: reported at once, not a poll later
  return { close };
}
