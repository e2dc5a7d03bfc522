const { readFileSync, readdirSync, readlinkSync } = process.getBuiltinModule('node:fs');
// Reading /proc on Linux: process start times, parent links, listening sockets.

// USER_HZ, the unit of /proc/PID/stat field 22; 100 on every Linux architecture Node runs on.
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcStat {
  readonly pid: number;
  readonly state: string;
  readonly ppid: number;
  readonly startTicks: number;
}

let bootTimeMs: number | undefined;
let readSystemStat = (): string => readFileSync('/proc/stat', 'utf8');

/**
 * Where the boot time (btime) is read from; undefined restores /proc/stat. The seam through which
 * tests show a wall-clock step (the kernel moves btime with it) without changing the clock.
 */
export function setSystemStatReader(read: (() => string) | undefined): void {
  readSystemStat = read ?? ((): string => readFileSync('/proc/stat', 'utf8'));
  bootTimeMs = undefined;
}

function bootTime(): number {
  if (bootTimeMs === undefined) {
    const line = readSystemStat().split('\n').find((l) => l.startsWith('btime '));
    if (line === undefined) throw new Error('/proc/stat has no btime line');
    bootTimeMs = Number(line.slice(6).trim()) * 1000;
  }
  return bootTimeMs;
}

/** Parse /proc/PID/stat. The command name may hold spaces and parentheses: split after the last ')'. */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const pid = Number.parseInt(text, 10);
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); field N is fields[N - 3].
  const state = fields[0];
  const ppid = Number(fields[1]);
  const startTicks = Number(fields[19]);
  if (state === undefined || !Number.isFinite(ppid) || !Number.isFinite(startTicks)) return null;
  return { pid, state, ppid, startTicks };
}

export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null; // no such process (ENOENT/ESRCH): the caller treats that as "not alive"
  }
}

export function startTimeFromTicks(ticks: number): number {
  return bootTime() + Math.round((ticks * 1000) / CLOCK_TICKS_PER_SECOND);
}

export function isZombie(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X' || stat.state === 'x';
}

export function allProcStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat !== null) stats.push(stat);
  }
  return stats;
}

export function readCommandLine(pid: number): string | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s) => s !== '').join(' ') || null;
  } catch {
    return null;
  }
}

const TCP_LISTEN = '0A';

/** Socket inodes listening on a port, from /proc/net/tcp and tcp6. */
export function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // tcp6 is absent when IPv6 is disabled
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (local === undefined || cols[3] !== TCP_LISTEN) continue;
      if (local.endsWith(`:${portHex}`) && cols[9] !== undefined) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The first process holding one of these socket inodes open. */
export function pidHoldingSocket(inodes: Set<string>): number | null {
  if (inodes.size === 0) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // another user's process, or it just exited
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const match = /^socket:\[(\d+)\]$/.exec(target);
        if (match?.[1] !== undefined && inodes.has(match[1])) return Number(entry);
      } catch {
        // fd closed while we looked
      }
    }
  }
  return null;
}

/** argv of a process from /proc/PID/cmdline; null when it is gone or not ours to read. */
export function readArgv(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const argv = raw.split('\0');
    if (argv.at(-1) === '') argv.pop();
    return argv;
  } catch {
    return null;
  }
}

/** One variable of a process's environment: null when unset, undefined when it cannot be read. */
export function readEnvVar(pid: number, name: string): string | null | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8'); // another user's: EACCES
  } catch {
    return undefined;
  }
  const entry = raw.split('\0').find((e) => e.startsWith(`${name}=`));
  return entry === undefined ? null : entry.slice(name.length + 1);
}
