// The process primitives every OS implements. Everything outside platform/ and service/ uses only
// this interface, never process.platform.
import type { ProcessList } from './discovery.js';

/** Who a process is: a pid alone is not enough, pids are reused. startTime is ms since the epoch. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: number;
  /**
   * Linux: the raw start time, clock ticks since boot (/proc/PID/stat field 22). startTime is boot
   * time + ticks, and the kernel's boot time (btime) moves with every wall-clock step after boot
   * (NTP at startup, a suspended laptop, `date -s`); the ticks never do. Compared instead of
   * startTime when both sides have them (sameStart); absent elsewhere and in older records.
   */
  readonly startTicks?: number;
}

/** Did these two observations see the same process start? Ticks when both have them, else startTime. */
export function sameStart(a: ProcessIdentity, b: ProcessIdentity): boolean {
  if (a.pid !== b.pid) return false;
  return a.startTicks !== undefined && b.startTicks !== undefined ? a.startTicks === b.startTicks : a.startTime === b.startTime;
}

export interface ControlEndpoint {
  /** What net.listen/net.connect take: an abstract name, a socket path or a pipe name. */
  readonly address: string;
  /** A filesystem socket outlives a crashed owner: the owner must check it answers as itself. */
  readonly needsOwnershipCheck: boolean;
  /** The file to remove when it is stale (filesystem sockets only). */
  readonly file: string | null;
}

export interface PortOwner {
  readonly pid: number;
  readonly command: string;
}

export interface InstanceLock {
  release(): void;
}

/** A process's exit, observed until close(): the pid cannot be mistaken for a later process that reused it. */
export interface ExitHandle {
  /** True once the process has exited. */
  exited(): boolean;
  close(): void;
}

export interface DetachedSpawnOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** stdout and stderr go here (appended); stdin is the null device. */
  readonly logFile: string;
}

/** A detached process that the OS's own call started (not child_process), as observed at creation. */
export interface NativeDetachedSpawn {
  readonly pid: number;
  /** How it was detached (breakaway, no-job, breakaway-refused, in-job), for the log and status. */
  readonly detachedHow: string;
  /** True when it may die with a job object its caller is in (breakaway refused). */
  readonly mayDieWithCaller: boolean;
}

/** Whether this process sits in a job object that can take it down (Windows); n/a elsewhere. */
export type JobMembership = 'none' | 'in-job' | 'unknown' | 'n/a';

export interface Platform {
  readonly name: 'linux' | 'darwin' | 'posix' | 'win32';
  /** Start time of a live (non-zombie) process, or null when there is none. */
  processStartTime(pid: number): number | null;
  /** The identity of a live (non-zombie) process now (with its start ticks on Linux), or null. */
  processIdentity(pid: number): ProcessIdentity | null;
  /** True when the process exists and is not a zombie. */
  isAlive(pid: number): boolean;
  /** True when `pid` is alive and started when `identity` says (sameStart). */
  matchesIdentity(identity: ProcessIdentity): boolean;
  /** Identities of all descendants of pid, deepest first, read at one instant. */
  descendants(pid: number): ProcessIdentity[];
  /** Send a signal; false when the process is gone. Callers check identity first. */
  signal(pid: number, signal: NodeJS.Signals): boolean;
  /** The control endpoint (single-instance lock + control channel) of a profile directory. */
  controlEndpoint(profileDir: string): ControlEndpoint;
  /** Which process listens on host:port, when the OS can tell. */
  findPortOwner(host: string, port: number): PortOwner | null;
  /**
   * Watch `identity` exit; null when it is not running now (gone, or its pid reused). Windows holds
   * a process handle open (the pid cannot be reused under it); POSIX polls pid + start ticks.
   */
  openExitHandle(identity: ProcessIdentity): ExitHandle | null;
  /**
   * Start a process that outlives its caller where Node's child_process cannot: Windows, where it
   * must break away from the caller's job (CreateProcessW). null where child_process's `detached`
   * (a new session, setsid) is enough: spawn.ts's spawnDetached then uses that.
   */
  readonly spawnDetachedNatively: ((command: string, args: readonly string[], options: DetachedSpawnOptions) => NativeDetachedSpawn) | null;
  /**
   * The OS-held single-instance lock of a profile, taken before the control endpoint; null when a
   * live process holds it. Where listening on the endpoint is itself exclusive, a no-op lock.
   */
  instanceLock(profileDir: string): InstanceLock | null;
  /** Is this process inside a job object (and so may die with whoever owns that job)? */
  jobMembership(): JobMembership;
  /**
   * The signals on which the monitor drains and stops. `noTerminal`: started detached or without a
   * terminal. POSIX: SIGINT, SIGTERM, SIGHUP always. Windows: Ctrl+C, Ctrl+Break and the console
   * window's close in a foreground run; none without a terminal (see absorbConsoleSignals), where a
   * stop comes through the control pipe or the planned-stop marker.
   */
  stopSignals(noTerminal: boolean): readonly NodeJS.Signals[];
  /** The signal that asks the monitor for a zero-downtime worker restart; null where none exists. */
  readonly restartSignal: NodeJS.Signals | null;
  /**
   * For a process with no terminal of its own (a detached monitor, a worker): ignore console
   * control events (Windows: Ctrl+C, Ctrl+Break, close), so that an event sent to a console it
   * shares cannot end it without a drain. True when something was done; a no-op on POSIX, where a
   * detached process is in its own session and a signal is always meant for it.
   */
  absorbConsoleSignals(): boolean;
  /**
   * Every process with its argv (and GATEHOUSE_HOME where readable), for discovery by command line
   * (platform/discovery.ts), with how it was read; null where no way of listing answered.
   */
  processRows(): ProcessList | null;
}
