// The command line that makes cmd.exe run a .cmd/.bat shim (npm.cmd and the like) with exactly the
// given arguments. Pure, so it is tested on every OS; test/win32/cmd-shim.test.ts runs it through a
// real cmd.exe. The line is parsed twice before the program sees it: once by `cmd /s /c` (percent
// expansion, then ^ escapes and & | < > ( ) outside quotes), and once more inside the shim, whose
// `%*` is substituted and then parsed again for ^ and the operators. So every character cmd acts on
// is written as ^^^c: the first parse leaves ^c, the second leaves c. Quotes are escaped the same
// way, so cmd never enters its quoted state and no argument can close a quote and inject a command
// (the BatBadBut class, CVE-2024-27980). Arguments with % are refused (see below). The program behind the shim
// (node.exe) finally splits the line with the MSVC rules, for which each argument is quoted first.
import { win32 as win32Path } from 'node:path';
import { quoteWindowsArg } from './win-cmdline.js';

const { existsSync } = process.getBuiltinModule('node:fs');

/** Characters cmd.exe gives a meaning to on a command line or in a batch line. */
const CMD_META = /[()[\]%!^"`<>&|;,=*? \t]/g;
/** cmd.exe's own limit is 8191 characters for the whole line. */
const MAX_LINE = 8_000;

export class CmdShimArgumentError extends Error {}

/** Escape one MSVC-quoted argument for two cmd.exe parses (the /c line, then the shim's %*). */
function escapeTwice(text: string): string {
  return text.replace(CMD_META, '^^^$&');
}

/** The text after `cmd.exe /d /v:off /s /c`, without the outer quotes /s removes. */
export function cmdShimCommandLine(shim: string, args: readonly string[]): string {
  if (!/\.(cmd|bat)$/i.test(shim)) throw new CmdShimArgumentError(`not a .cmd or .bat file: ${JSON.stringify(shim)}`);
  // The path is quoted once and never escaped: inside quotes cmd treats & ^ ( ) as text, but it
  // would still expand %NAME%, and a quote would end the quoting.
  if (/["%\r\n\0]/.test(shim)) throw new CmdShimArgumentError(`cmd.exe cannot run a path containing " % CR LF or NUL: ${JSON.stringify(shim)}`);
  const escaped = args.map((arg, i) => {
    // cmd ends a command at a line break and C strings at NUL: no escape exists for these. And %:
    // the ^% above is sound for Windows' cmd.exe as documented, but Wine's cmd.exe drops such
    // arguments, so it is not proven here; an argument with % is refused rather than guessed at.
    if (/[\r\n\0]/.test(arg)) throw new CmdShimArgumentError(`argument ${i + 1} contains CR, LF or NUL, which cmd.exe cannot pass on`);
    if (arg.includes('%')) throw new CmdShimArgumentError(`argument ${i + 1} contains %, which cmd.exe may expand: pass it another way (a file, an environment variable)`);
    return escapeTwice(quoteWindowsArg(arg));
  });
  const line = [`"${shim}"`, ...escaped].join(' ');
  if (line.length > MAX_LINE) throw new CmdShimArgumentError(`the command line is ${line.length} characters; cmd.exe takes at most 8191`);
  return line;
}

/** A .cmd or .bat file: Windows runs it only through cmd.exe (CreateProcess refuses it, Node says EINVAL). */
export function isCmdShim(command: string): boolean {
  return /\.(cmd|bat)$/i.test(command);
}

/** What actually gets started for `command args`: the program itself, or cmd.exe running the shim. */
export interface Invocation {
  readonly file: string;
  readonly args: readonly string[];
  readonly kind: 'program' | 'cmd-shim';
}

function comspec(env: NodeJS.ProcessEnv): string {
  return env.ComSpec ?? env.COMSPEC ?? `${env.SystemRoot ?? 'C:\\Windows'}\\System32\\cmd.exe`;
}

/** Windows' default PATHEXT: the extensions a bare command name may stand for, in order. */
const DEFAULT_PATHEXT = '.COM;.EXE;.BAT;.CMD';

/**
 * Windows: the file a command with no extension stands for, the way cmd.exe finds it: each PATHEXT
 * extension in order, in the command's own directory when it names one, else in each PATH entry.
 * CreateProcess (and so Node) tries only .exe, so `npx` must become the path of `npx.cmd`. Anything
 * else (an extension given, nothing found, an .exe found first) is returned unchanged.
 */
export function resolveWindowsCommand(command: string, env: NodeJS.ProcessEnv, exists: (path: string) => boolean = existsSync): string {
  if (win32Path.extname(command) !== '') return command;
  const dirs = /[\\/]/.test(command) ? [''] : (env.PATH ?? env.Path ?? '').split(';').filter((d) => d.trim() !== '');
  const exts = (env.PATHEXT ?? DEFAULT_PATHEXT).split(';').filter((e) => e.startsWith('.'));
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = dir === '' ? `${command}${ext}` : win32Path.join(dir, `${command}${ext}`);
      if (exists(candidate)) return isCmdShim(candidate) ? candidate : command;
    }
  }
  return command;
}

/**
 * How a program is started on `os`. Pure. A .cmd/.bat on Windows goes through cmd.exe with the line
 * cmdShimCommandLine builds (every character cmd acts on escaped); an argument cmd.exe cannot carry
 * throws CmdShimArgumentError before anything runs.
 */
export function invocationFor(command: string, args: readonly string[], os: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): Invocation {
  if (os !== 'win32' || !isCmdShim(command)) return { file: command, args, kind: 'program' };
  return { file: comspec(env), args: ['/d', '/v:off', '/s', '/c', `"${cmdShimCommandLine(command, args)}"`], kind: 'cmd-shim' };
}
