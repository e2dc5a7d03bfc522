// Finding a profile's gateway by command line, for status and stop when the PID file is gone and
// the control endpoint does not answer. Pure matching over a process list, so it is tested anywhere;
// each platform supplies the list (Linux: /proc; Windows: Toolhelp + each process's PEB, then wmic,
// then PowerShell, see platform/win32-processes.ts).
import { isAbsolute as isPosixAbsolute } from 'node:path/posix';
import { isAbsolute as isWin32Absolute } from 'node:path/win32';

/** Either OS's absolute path: the entry is compared exactly anyway; tested on every OS. */
const isAbsolute = (path: string): boolean => isPosixAbsolute(path) || isWin32Absolute(path);

export interface ProcessRow {
  readonly pid: number;
  readonly ppid: number;
  readonly argv: readonly string[];
  /** GATEHOUSE_HOME as the process sees it: a string, null when unset, undefined when unreadable. */
  readonly gatehouseHome?: string | null | undefined;
}

/** Every process at one instant, and how the list was read (for status: "found through /proc"). */
export interface ProcessList {
  readonly rows: readonly ProcessRow[];
  readonly source: string;
}

export interface GatewayQuery {
  /** The absolute entry script every monitor is started with (ENTRY_SCRIPT). */
  readonly entryScript: string;
  /**
   * Scripts that load the entry script, by hand or through a shim (the package's bin/gatehouse.js):
   * a monitor run as `bin/gatehouse.js run` has it on its command line, its worker the entry itself.
   */
  readonly launchers?: readonly string[];
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

/**
 * The home given by `run --home DIR` (the monitor sets GATEHOUSE_HOME from it): the one place a
 * process's home is on its command line, where its environment cannot be read (wmic, PowerShell).
 */
export function homeArgOf(args: readonly string[]): string | undefined {
  let home: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--home') {
      home = args[i + 1];
      i++;
    } else if (arg.startsWith('--home=')) home = arg.slice('--home='.length);
  }
  return home;
}

/** The arguments after `<entry> run`, or null when argv does not run the entry script. */
function runArgs(argv: readonly string[], query: Pick<GatewayQuery, 'entryScript' | 'launchers' | 'caseInsensitive'>): readonly string[] | null {
  const same = (a: string, b: string): boolean => (query.caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b);
  const scripts = [query.entryScript, ...(query.launchers ?? [])];
  const at = argv.findIndex((a) => isAbsolute(a) && scripts.some((script) => same(a, script)));
  if (at < 0 || argv[at + 1] !== 'run') return null;
  return argv.slice(at + 2);
}

/** Does argv run `<entry> run` for this profile (the monitor's and the worker's command line)? */
export function runsProfile(argv: readonly string[], query: Pick<GatewayQuery, 'entryScript' | 'launchers' | 'profile' | 'caseInsensitive'>): boolean {
  const args = runArgs(argv, query);
  return args !== null && profileOf(args) === query.profile;
}

/**
 * The monitors of this profile and home: processes running `<entry> run --profile NAME` whose parent
 * does not run it too (that is a worker), whose home is ours (`--home DIR` on the command line, else
 * GATEHOUSE_HOME from its environment; a process whose home cannot be told is not claimed), and which
 * are not the caller or its ancestors.
 */
export function findGatewayMonitors(rows: readonly ProcessRow[], query: GatewayQuery): ProcessRow[] {
  const same = (a: string, b: string): boolean => (query.caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b);
  const matching = new Map(rows.filter((r) => runsProfile(r.argv, query)).map((r) => [r.pid, r]));
  return [...matching.values()].filter((row) => {
    if (query.exclude.has(row.pid) || matching.has(row.ppid)) return false;
    const argHome = homeArgOf(runArgs(row.argv, query) ?? []);
    if (argHome !== undefined) return same(argHome, query.home);
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
