// cmd.exe quoting for a command line inside a .cmd file, and its inverse. cmd reads the line before
// the program does: in a batch file `%%` is a literal `%` everywhere, and outside double quotes
// `^` escapes the next character, while `& | < > ( )` would end or redirect the command. Quotes
// toggle cmd's state and are kept for the program. So we first build the Windows command line
// (win-cmdline.ts), then escape it for cmd while tracking cmd's own quote state.
// Assumes delayed expansion is off (write `setlocal DisableDelayedExpansion` first), or `!` would
// be expanded too. Not used by the autostart tracks: a .cmd run at logon flashes a console window,
// so both tracks run the JScript launcher (windows-launcher.ts). Kept for any .cmd we do write
// (a visible foreground diagnostic script, the Wine tests that run cmd.exe for real).
import { DefinitionParseError, UnrepresentableError } from './spec.js';
import { buildWindowsCommandLine, parseWindowsCommandLine } from './win-cmdline.js';

const CMD_SPECIAL = /[\^&|<>()]/;

/** Escape a ready Windows command line so cmd.exe hands exactly it to the program. */
export function escapeForCmd(commandLine: string): string {
  if (/[\r\n\0]/.test(commandLine)) throw new UnrepresentableError('a .cmd line cannot carry CR, LF or NUL');
  let out = '';
  let quoted = false;
  for (const ch of commandLine) {
    if (ch === '%') out += '%%';
    else if (ch === '"') { quoted = !quoted; out += ch; }
    else if (!quoted && CMD_SPECIAL.test(ch)) out += `^${ch}`;
    else out += ch;
  }
  return out;
}

/** Inverse of escapeForCmd: what cmd.exe passes to the program for one .cmd line. */
export function unescapeCmd(line: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '%') {
      // A single % would start a variable or argument reference: not a line we wrote.
      if (line[i + 1] !== '%') throw new DefinitionParseError(`variable expansion in a .cmd line: ${JSON.stringify(line)}`);
      out += '%';
      i++;
    } else if (ch === '"') { quoted = !quoted; out += ch; }
    else if (!quoted && ch === '^') {
      const next = line[i + 1];
      if (next === undefined) throw new DefinitionParseError('a .cmd line ends with ^ (line continuation)');
      out += next;
      i++;
    } else if (!quoted && CMD_SPECIAL.test(ch)) {
      throw new DefinitionParseError(`unescaped ${ch} in a .cmd line: ${JSON.stringify(line)}`);
    } else out += ch;
  }
  return out;
}

/** One .cmd line that runs argv exactly (the program must not contain `"`). */
export function quoteCmdLine(argv: readonly string[]): string {
  return escapeForCmd(buildWindowsCommandLine(argv));
}

export function parseCmdLine(line: string): string[] {
  return parseWindowsCommandLine(unescapeCmd(line));
}
