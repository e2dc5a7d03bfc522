// Finding a profile's gateway by command line, for status and stop when the PID file is gone and
// the control endpoint does not answer. Pure matching over a process list, so it is tested anywhere;
// each platform supplies the list (Linux: /proc; Windows: not yet, see platform/win32.ts).
import { isAbsolute } from 'node:path';

export interface ProcessRow {
  readonly pid: number;
  readonly ppid: number;
  readonly argv: readonly string[];
  /** GATEHOUSE_HOME as the process sees it: a string, null when unset, undefined when unreadable. */
  readonly gatehouseHome?: string | null | undefined;
}

export interface GatewayQuery {
  /** The absolute entry script every monitor is started with (ENTRY_SCRIPT). */
  readonly entryScript: string;
  readonly profile: string;
  /** The caller's resolved GATEHOUSE_HOME, and the OS default used when a process has none set. */
  readonly home: string;
  readonly defaultHome: string;
  /** Windows paths compare case-insensitively. */
  readonly caseInsensitive: boolean;
  /** The caller and its ancestors: never a match (a `gatehouse stop` run by a gateway's agent). */
  readonly exclude: ReadonlySet<number>;
}

function profileOf(args: readonly string[]): string | null {
  let profile = 'default';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--profile') {
      const value = args[i + 1];
      if (value === undefined) return null;
      profile = value;
      i++;
    } else if (arg.startsWith('--profile=')) profile = arg.slice('--profile='.length);
  }
  return profile;
}

/** Does argv run `<entry> run` for this profile (the monitor's and the worker's command line)? */
export function runsProfile(argv: readonly string[], query: Pick<GatewayQuery, 'entryScript' | 'profile' | 'caseInsensitive'>): boolean {
  const same = (a: string, b: string): boolean => (query.caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b);
  const at = argv.findIndex((a) => isAbsolute(a) && same(a, query.entryScript));
  if (at < 0 || argv[at + 1] !== 'run') return false;
  return profileOf(argv.slice(at + 2)) === query.profile;
}

/**
 * The monitors of this profile and home: processes running `<entry> run --profile NAME` whose parent
 * does not run it too (that is a worker), whose GATEHOUSE_HOME is ours (a process whose environment
 * cannot be read is not claimed), and which are not the caller or its ancestors.
 */
export function findGatewayMonitors(rows: readonly ProcessRow[], query: GatewayQuery): ProcessRow[] {
  const same = (a: string, b: string): boolean => (query.caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b);
  const matching = new Map(rows.filter((r) => runsProfile(r.argv, query)).map((r) => [r.pid, r]));
  return [...matching.values()].filter((row) => {
    if (query.exclude.has(row.pid) || matching.has(row.ppid)) return false;
    if (row.gatehouseHome === undefined) return false;
    return same(row.gatehouseHome ?? query.defaultHome, query.home);
  });
}

/** The caller and its ancestors, from a process list (pid -> ppid). */
export function ancestorsOf(pid: number, rows: readonly Pick<ProcessRow, 'pid' | 'ppid'>[]): Set<number> {
  const parent = new Map(rows.map((r) => [r.pid, r.ppid]));
  const seen = new Set<number>();
  for (let p: number | undefined = pid; p !== undefined && p > 0 && !seen.has(p); p = parent.get(p)) seen.add(p);
  return seen;
}
