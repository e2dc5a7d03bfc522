// lifecycle.jsonl: one JSON line per lifecycle event (start, ready, drain, stop, exit). Appended with
// O_APPEND so the monitor, the worker and the CLI can all write; read tolerantly (a torn last line
// after a crash is skipped).
import { rotateIfLarge } from '../fs-util.js';
import { isErrnoException } from '../errors.js';

const { appendFileSync, closeSync, fstatSync, openSync, readSync } = process.getBuiltinModule('node:fs');

const MAX_LOG_BYTES = 1024 * 1024; // rotate to .1 past 1 MiB
const TAIL_BYTES = 64 * 1024;

export type LifecycleEventName =
  | 'start' | 'ready' | 'previous_exit_unclean' | 'worker_start' | 'worker_ready' | 'worker_exit'
  | 'drain_begin' | 'drain_end' | 'stop' | 'exit' | 'start_failed' | 'resume' | 'planned_stop_marker'
  | 'escalate' | 'worker_replaced' | 'breaker_open' | 'restart' | 'respawn_watch' | 'respawn'
  /** Written by `start`: how the monitor was detached from the caller (setsid, breakaway...). */
  | 'detached'
  /** Windows, under the launcher: the monitor watches it, and drains when it is gone (monitor.ts). */
  | 'launcher_watch' | 'launcher_gone'
  /** Written by `start` when breakaway was refused: through the Scheduled Task, or the in-job spawn kept. */
  | 'start_via'
  /** The monitor's worker watch: the serving worker stopped answering pings (worker-watch.ts). */
  | 'worker_wedged'
  /** A full restart refused before anything stopped (the configuration does not validate). */
  | 'restart_refused'
  /** An empty or garbage token file was replaced at start (run.ts): old clients get 401. */
  | 'token_replaced'
  /** The warm standby worker is booted and waits; the serving worker died and the standby took its place. */
  | 'standby_ready' | 'standby_promoted';

export interface LifecycleEvent {
  readonly ts: string;
  readonly event: LifecycleEventName;
  readonly pid: number;
  readonly instance?: string;
  readonly [key: string]: unknown;
}

export class LifecycleLog {
  constructor(readonly file: string, private readonly instance?: string) {}

  append(event: LifecycleEventName, fields: Record<string, unknown> = {}): void {
    const line: LifecycleEvent = { ts: new Date().toISOString(), event, pid: process.pid, instance: this.instance, ...fields };
    // A writer that died mid-line (a crash) left a torn line: end it, so this event is not glued to it.
    const prefix = endsTorn(this.file) ? '\n' : '';
    appendFileSync(this.file, `${prefix}${JSON.stringify(line)}\n`, { mode: 0o600 });
  }

  /** Keep the file bounded: at boot, move a large log aside. */
  rotateIfLarge(): void {
    rotateIfLarge(this.file, MAX_LOG_BYTES);
  }

  /** The last events, oldest first; unparsable lines are skipped. */
  tail(count = 50): LifecycleEvent[] {
    return readTailLines(this.file, TAIL_BYTES)
      .flatMap((line) => {
        try {
          const value = JSON.parse(line) as unknown;
          return typeof value === 'object' && value !== null && 'event' in value ? [value as LifecycleEvent] : [];
        } catch {
          return [];
        }
      })
      .slice(-count);
  }
}

function endsTorn(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return false;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** The complete lines in the last `bytes` of a file (none when it is missing). */
export function readTailLines(file: string, bytes: number): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return [];
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (start > 0) lines.shift(); // the first line is cut
    return lines.filter((l) => l.trim() !== '');
  } finally {
    closeSync(fd);
  }
}

/**
 * Did the previous life end cleanly? Looks for the last 'start' of another instance and whether
 * an 'exit' of that instance followed it.
 */
export function previousLifeUnclean(events: readonly LifecycleEvent[], currentInstance: string): LifecycleEvent | null {
  const starts = events.filter((e) => e.event === 'start' && e.instance !== currentInstance);
  const last = starts.at(-1);
  if (last === undefined) return null;
  const exited = events.some((e) => e.event === 'exit' && e.instance === last.instance);
  return exited ? null : last;
}

/**
 * How the monitor's last life ended, from its last `start` or `exit` record: `status` (a gateway
 * that is not running: crashed or stopped) and the watchdog (`alert --check`: a death or a planned
 * stop) read it the same way. An exit with code 0 is a planned stop; any other code is a death;
 * a start with no exit after it is a death that left no record (SIGKILL, a power cut).
 */
export type LifeEnd =
  | { readonly kind: 'never' }
  | { readonly kind: 'unclean'; readonly start: LifecycleEvent }
  | { readonly kind: 'exit'; readonly exit: LifecycleEvent; readonly code: unknown; readonly planned: boolean };

export function lastLifeEnd(events: readonly LifecycleEvent[]): LifeEnd {
  const last = events.filter((e) => e.event === 'exit' || e.event === 'start').at(-1);
  if (last === undefined) return { kind: 'never' };
  if (last.event === 'start') return { kind: 'unclean', start: last };
  return { kind: 'exit', exit: last, code: last['code'], planned: last['code'] === 0 };
}
