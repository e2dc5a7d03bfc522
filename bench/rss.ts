// Resident memory of a process, for the benchmark's memory rows.
import { readFileSync } from 'node:fs';

/** VmRSS of a process in MB (Linux /proc); null elsewhere or when it is gone. */
export function rssMb(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

/** Private memory of a process in MB (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup):
 *  what it costs beyond the pages it shares with other processes (Node's own code, say). */
export function privateMb(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
    const total = kb('Private_Clean') + kb('Private_Dirty');
    return Number.isFinite(total) ? total / 1024 : null;
  } catch {
    return null;
  }
}
