// Who is "the caller" of `gatehouse update-respawn`: the updater, the process doing the update, not
// the wrappers between it and us. Run as `npx gatehouse update-respawn`, our parent is a `sh -c`
// that npm exec started, whose parent is npm exec, whose parent may be another `sh -c` (a Node
// updater's execSync); all of them exit as soon as we do, while the updater works on (stops the
// gateway, replaces the code). Pure over a process list (pid, ppid, argv), so it is tested anywhere.
//
// The rule, walking up from our parent:
// - a wrapper is skipped: npm/npx running a command (`npm exec`, `npx`, `npm run`, `npm start`,
//   `npm test`; by argv or by the process title npm sets), a shell `-c` whose script is one command
//   (`sh -c "npx gatehouse update-respawn"`: nothing left to do after it), `cmd.exe /c` with one
//   command;
// - the first other ancestor is the updater (a script run by sh or node, a shell -c with more
//   commands after ours, an installer, cron's job, an ssh session);
// - unless it is a boundary, a process that outlives any update: an interactive shell, PID 1, or a
//   gateway of ours (its agent ran the command). Then the outermost wrapper below it is the caller
//   (`npm run update` typed in a terminal: npm), or, with no wrapper, an interactive shell itself
//   (typed by hand: the respawn waits for that shell, as before) or nobody (a gateway's agent).
// `--caller-pid` overrides all of this.
import { basename as posixBasename } from 'node:path/posix';
import { basename as win32Basename } from 'node:path/win32';
import type { ProcessRow } from './discovery.js';

/** boundary: outlives any update; interactive: a boundary that is a person's shell. */
export type AncestorKind = 'wrapper' | 'boundary' | 'interactive' | 'updater';

export interface Ancestor {
  readonly row: ProcessRow;
  readonly kind: AncestorKind;
  /** Why it was classified so, for the message update-respawn prints. */
  readonly why: string;
}

export interface CallerChoice {
  /** The process the respawn waits for; null: nobody (respawn once the gateway stops). */
  readonly caller: ProcessRow | null;
  /** The ancestors looked at, nearest first. */
  readonly chain: readonly Ancestor[];
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox', 'fish']);
/** npm commands that only run a command or a script: npm is a wrapper in them, not the updater. */
const NPM_RUNNERS = new Set(['exec', 'x', 'run', 'run-script', 'rum', 'urn', 'start', 'test', 't', 'tst']);
const NPM_SCRIPTS = new Set(['npm-cli.js', 'npm', 'npm.js']);
const NPX_SCRIPTS = new Set(['npx-cli.js', 'npx', 'npx.js']);
const NODES = new Set(['node', 'nodejs']);
/** A script with any of these runs more than one command (or runs ours in the background). */
const POSIX_SEPARATORS = /[;&|\n]/;
const CMD_SEPARATORS = /[&|\n]/;

/** The program's name without directory, `.exe`, or a login shell's leading '-'. */
function programName(path: string): string {
  const base = path.includes('\\') ? win32Basename(path) : posixBasename(path);
  return base.replace(/^-/, '').replace(/\.exe$/i, '').toLowerCase();
}

/**
 * npm rewrites its process title ("npm exec gatehouse ..."): one argv element holding spaces, and on
 * Linux the rest of the old argv area left as empty strings.
 */
function titleWords(argv: readonly string[]): string[] | null {
  const [title, ...rest] = argv;
  if (title === undefined || !title.includes(' ') || rest.some((a) => a !== '')) return null;
  return title.split(/\s+/);
}

function npmKind(words: readonly string[]): Omit<Ancestor, 'row'> | null {
  const [program, command] = words;
  if (program === undefined) return null;
  const name = programName(program);
  if (NPX_SCRIPTS.has(name)) return { kind: 'wrapper', why: 'npx runs the command' };
  if (NPM_SCRIPTS.has(name) && command !== undefined && NPM_RUNNERS.has(command)) return { kind: 'wrapper', why: `npm ${command} runs the command` };
  if (NPM_SCRIPTS.has(name)) return { kind: 'updater', why: `npm ${command ?? ''}`.trim() };
  return null;
}

/** A shell: `-c SCRIPT` with one command is a wrapper, with more it is the updater; no script at all: interactive. */
function shellKind(args: readonly string[]): Omit<Ancestor, 'row'> {
  let command = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') break;
    if (/^-[a-zA-Z]+$/.test(arg) || /^\+[a-zA-Z]+$/.test(arg)) {
      if (arg.startsWith('-') && arg.includes('c')) command = true;
      continue;
    }
    if (arg === '-o' || arg === '+o') { i++; continue; }
    if (command) {
      return POSIX_SEPARATORS.test(arg)
        ? { kind: 'updater', why: 'a shell -c that runs more commands after this one' }
        : { kind: 'wrapper', why: 'a shell -c running this one command' };
    }
    return { kind: 'updater', why: `a shell running the script ${arg}` };
  }
  return { kind: 'interactive', why: 'an interactive shell' };
}

/** cmd.exe `/c COMMAND` (or `/d /s /c`): one command is a wrapper; `/k` or nothing: interactive. */
function cmdKind(args: readonly string[]): Omit<Ancestor, 'row'> {
  const at = args.findIndex((a) => /^\/[ck]$/i.test(a));
  if (at < 0 || /^\/k$/i.test(args[at] as string)) return { kind: 'interactive', why: 'an interactive cmd.exe' };
  const script = args.slice(at + 1).join(' ');
  return CMD_SEPARATORS.test(script.replace(/\^[&|]/g, ''))
    ? { kind: 'updater', why: 'cmd.exe /c running more commands after this one' }
    : { kind: 'wrapper', why: 'cmd.exe /c running this one command' };
}

/** What one ancestor is to an update-respawn. `ownEntry`: the entry script every gateway runs. */
export function classifyAncestor(row: ProcessRow, ownEntry: string): Ancestor {
  const kind = (k: AncestorKind, why: string): Ancestor => ({ row, kind: k, why });
  if (row.pid <= 1) return kind('boundary', 'the init process');
  const title = titleWords(row.argv);
  if (title !== null) {
    const npm = npmKind(title);
    if (npm !== null) return { row, ...npm };
  }
  const [program, ...args] = row.argv;
  if (program === undefined) return kind('updater', 'no command line');
  const name = programName(program);
  const entryAt = row.argv.findIndex((a) => a === ownEntry || a.toLowerCase() === ownEntry.toLowerCase());
  if (entryAt >= 0 && row.argv[entryAt + 1] === 'run') return kind('boundary', 'a gateway of ours (its agent ran the command)');
  if (NODES.has(name) && args[0] !== undefined) {
    const npm = npmKind(args);
    if (npm !== null) return { row, ...npm };
  }
  if (SHELLS.has(name)) return { row, ...shellKind(name === 'busybox' ? args.slice(1) : args) };
  if (name === 'cmd') return { row, ...cmdKind(args) };
  return kind('updater', 'not a wrapper');
}

/** Walk up from `fromPid`'s parent to the updater (see the header for the rule). */
export function chooseCaller(rows: readonly ProcessRow[], fromPid: number, ownEntry: string): CallerChoice {
  const byPid = new Map(rows.map((r) => [r.pid, r]));
  const chain: Ancestor[] = [];
  const seen = new Set<number>([fromPid]);
  let pid = byPid.get(fromPid)?.ppid;
  while (pid !== undefined && !seen.has(pid)) {
    seen.add(pid);
    const row = byPid.get(pid) ?? (pid <= 1 ? { pid, ppid: 0, argv: [] } : undefined);
    if (row === undefined) break; // gone, or not ours to read: stop at what we know
    const ancestor = classifyAncestor(row, ownEntry);
    chain.push(ancestor);
    if (ancestor.kind === 'updater') return { caller: row, chain };
    if (ancestor.kind === 'boundary' || ancestor.kind === 'interactive') break;
    pid = row.ppid;
  }
  const wrappers = chain.filter((a) => a.kind === 'wrapper');
  const outermost = wrappers.at(-1)?.row ?? null;
  const last = chain.at(-1);
  if (outermost !== null) return { caller: outermost, chain };
  // No wrapper: typed in an interactive shell (wait for it, as the parent always was), else nobody.
  return { caller: last?.kind === 'interactive' ? last.row : null, chain };
}
