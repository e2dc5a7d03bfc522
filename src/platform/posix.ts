// Process primitives for Linux (through /proc) and other POSIX systems (through ps).
import {
  allProcStats, isZombie, listeningInodes, pidHoldingSocket, readArgv, readCommandLine, readEnvVar, readProcStat, startTimeFromTicks, type ProcStat,
} from './linux-proc.js';
import { ENV } from '../env.js';
import { abstractEndpoint, fileEndpoint } from './control-endpoint.js';
import { runBounded } from './spawn.js';
import { sendSignal } from './signal.js';
import { sameStart, type ExitHandle, type InstanceLock, type Platform, type PortOwner, type ProcessIdentity } from './types.js';

const PS_TIMEOUT_MS = 5_000;

/** A detached POSIX monitor is in its own session: any of these is meant for it. */
const POSIX_STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** On POSIX only one process can listen on the control socket: that is the lock. */
const socketIsTheLock = (): InstanceLock => ({ release: () => {} });

/**
 * POSIX has no handle that pins a pid (a pidfd would, but Node has none): the exit is seen by
 * polling the identity, and a reused pid has another start time, so it is never mistaken for ours.
 */
function polledExitHandle(os: Platform, identity: ProcessIdentity): ExitHandle | null {
  if (!os.matchesIdentity(identity)) return null;
  return { exited: () => !os.matchesIdentity(identity), close: () => {} };
}

/** A live process's identity from its stat: start ticks, and the wall-clock time they mean now. */
function identityFromStat(stat: ProcStat): ProcessIdentity {
  return { pid: stat.pid, startTime: startTimeFromTicks(stat.startTicks), startTicks: stat.startTicks };
}

export const linux: Platform = {
  name: 'linux',
  processStartTime(pid) {
    const stat = readProcStat(pid);
    return stat === null || isZombie(stat) ? null : startTimeFromTicks(stat.startTicks);
  },
  processIdentity(pid) {
    const stat = readProcStat(pid);
    return stat === null || isZombie(stat) ? null : identityFromStat(stat);
  },
  isAlive(pid) {
    const stat = readProcStat(pid);
    return stat !== null && !isZombie(stat);
  },
  matchesIdentity(identity) {
    // Ticks when the record has them: a wall-clock step since it was written moved startTime, not them.
    const now = linux.processIdentity(identity.pid);
    return now !== null && sameStart(now, identity);
  },
  descendants(pid) {
    const stats = allProcStats().filter((s) => !isZombie(s));
    const children = new Map<number, number[]>();
    for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
    const byPid = new Map(stats.map((s) => [s.pid, s]));
    const found: ProcessIdentity[] = [];
    const visit = (parent: number): void => {
      for (const child of children.get(parent) ?? []) {
        visit(child);
        const stat = byPid.get(child);
        if (stat !== undefined) found.push(identityFromStat(stat));
      }
    };
    visit(pid);
    return found;
  },
  signal: sendSignal,
  openExitHandle: (identity) => polledExitHandle(linux, identity),
  spawnDetachedNatively: null,
  controlEndpoint: abstractEndpoint,
  findPortOwner(_host, port): PortOwner | null {
    const pid = pidHoldingSocket(listeningInodes(port));
    return pid === null ? null : { pid, command: readCommandLine(pid) ?? '?' };
  },
  instanceLock: socketIsTheLock,
  jobMembership: () => 'n/a',
  stopSignals: () => POSIX_STOP_SIGNALS,
  restartSignal: 'SIGUSR1',
  absorbConsoleSignals: () => false,
  processRows() {
    const rows = allProcStats().filter((s) => !isZombie(s)).flatMap((s) => {
      const argv = readArgv(s.pid);
      return argv === null ? [] : [{ pid: s.pid, ppid: s.ppid, argv, gatehouseHome: readEnvVar(s.pid, ENV.HOME) }];
    });
    return { rows, source: '/proc (cmdline, environ)' };
  },
};

interface PsRow { pid: number; ppid: number; stat: string; lstart: number }

/** `ps` rows for one pid or all; lstart is second-precise, which is what macOS offers. */
function psRows(pid?: number): PsRow[] {
  const args = ['-o', 'pid=,ppid=,stat=,lstart=', ...(pid === undefined ? ['-A'] : ['-p', String(pid)])];
  const result = runBounded('ps', args, { timeoutMs: PS_TIMEOUT_MS });
  if (!result.ok && result.exitCode !== 1) return []; // ps exits 1 when the pid is not found
  return result.stdout.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.+)$/.exec(line);
    if (m === null) return [];
    const lstart = Date.parse(m[4] ?? '');
    return Number.isNaN(lstart) ? [] : [{ pid: Number(m[1]), ppid: Number(m[2]), stat: m[3] ?? '', lstart }];
  });
}

export const posixPs: Platform = {
  name: process.platform === 'darwin' ? 'darwin' : 'posix',
  processStartTime(pid) {
    const row = psRows(pid)[0];
    return row === undefined || row.stat.startsWith('Z') ? null : row.lstart;
  },
  isAlive(pid) {
    return posixPs.processStartTime(pid) !== null;
  },
  processIdentity(pid) {
    const startTime = posixPs.processStartTime(pid);
    return startTime === null ? null : { pid, startTime };
  },
  matchesIdentity(identity) {
    return posixPs.processStartTime(identity.pid) === identity.startTime;
  },
  descendants(pid) {
    const rows = psRows().filter((r) => !r.stat.startsWith('Z'));
    const found: ProcessIdentity[] = [];
    const visit = (parent: number): void => {
      for (const row of rows.filter((r) => r.ppid === parent)) {
        visit(row.pid);
        found.push({ pid: row.pid, startTime: row.lstart });
      }
    };
    visit(pid);
    return found;
  },
  signal: sendSignal,
  openExitHandle: (identity) => polledExitHandle(posixPs, identity),
  spawnDetachedNatively: null,
  controlEndpoint: fileEndpoint,
  findPortOwner: () => null,
  instanceLock: socketIsTheLock,
  jobMembership: () => 'n/a',
  stopSignals: () => POSIX_STOP_SIGNALS,
  restartSignal: 'SIGUSR1',
  absorbConsoleSignals: () => false,
  // `ps` prints argv joined by spaces, which cannot be split back reliably: not implemented.
  processRows: () => null,
};
