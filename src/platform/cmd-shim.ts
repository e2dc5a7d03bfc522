// The command line that makes cmd.exe run a .cmd/.bat shim (npm.cmd and the like) with exactly the
// given arguments. Pure, so it is tested on every OS; test/win32/cmd-shim.test.ts runs it through a
// real cmd.exe. The line is parsed twice before the program sees it: once by `cmd /s /c` (percent
// expansion, then ^ escapes and & | < > ( ) outside quotes), and once more inside the shim, whose
// `%*` is substituted and then parsed again for ^ and the operators. So every character cmd acts on
// is written as ^^^c: the first parse leaves ^c, the second leaves c. Quotes are escaped the same
// way, so cmd never enters its quoted state and no argument can close a quote and inject a command
// (the BatBadBut class, CVE-2024-27980). Arguments with % are refused (see below). The program behind the shim
// (node.exe) finally splits the line with the MSVC rules, for which each argument is quoted first.
import { quoteWindowsArg } from './win32.js';

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
