// Windows command lines: a process receives one string, and node.exe (like every MSVC program) splits
// it with the C runtime's rules. This quotes argv so the UCRT parser gives it back, and implements
// that parser (the program name is read differently from the arguments: no backslash escapes). Pure,
// so it runs on every OS; the one quoting of Windows command lines: CreateProcessW (win32.ts), the
// .cmd shim line (cmd-shim.ts), the task and Startup launchers (service/) and discovery's parse of
// other processes' command lines all use it.
import { DefinitionParseError, UnrepresentableError } from '../errors.js';

/** Whitespace that separates arguments for the C runtime: space and tab, nothing else. */
const SEPARATOR = /[ \t]/;
/**
 * What makes an argument need quotes: the separators, and \n and \v, which some other splitters
 * (CommandLineToArgvW's callers, scripts) treat as blanks. Nothing else: other whitespace (\r, \f,
 * U+00A0, U+3000) is text to the C runtime, quoted or not.
 */
const NEEDS_QUOTES = /[ \t\n\v"]/;

/**
 * Quote one argument (not the program) for the UCRT argv parser. NUL is refused: CreateProcessW takes
 * a C string and would silently end the command line there, dropping this argument and every later one.
 */
export function quoteWindowsArg(arg: string): string {
  if (arg.includes('\0')) throw new UnrepresentableError('a Windows command line cannot carry NUL');
  if (arg !== '' && !NEEDS_QUOTES.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    // Backslashes are literal unless they precede a quote: then each must be doubled.
    out += ch === '"' ? `${'\\'.repeat(backslashes * 2 + 1)}"` : `${'\\'.repeat(backslashes)}${ch}`;
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

/** The program name: always quoted; Windows paths cannot contain `"`, so there is no escape. */
export function quoteWindowsProgram(path: string): string {
  if (/["\0\r\n]/.test(path) || path === '') throw new UnrepresentableError(`not a Windows program path: ${JSON.stringify(path)}`);
  return `"${path}"`;
}

export function buildWindowsCommandLine(argv: readonly string[]): string {
  const [program, ...args] = argv;
  if (program === undefined) throw new UnrepresentableError('an empty command line');
  return [quoteWindowsProgram(program), ...args.map(quoteWindowsArg)].join(' ');
}

/** Split a command line as the UCRT does for argv (2008+ rules: `""` inside quotes is a literal `"`). */
export function parseWindowsCommandLine(line: string): string[] {
  let i = 0;
  // argv[0]: up to the closing quote, or the first whitespace when unquoted.
  let program = '';
  if (line[0] === '"') {
    const end = line.indexOf('"', 1);
    if (end === -1) throw new DefinitionParseError('unterminated program name');
    program = line.slice(1, end);
    i = end + 1;
  } else {
    while (i < line.length && !SEPARATOR.test(line[i] as string)) program += line[i++];
  }
  const argv = [program];
  for (;;) {
    while (i < line.length && SEPARATOR.test(line[i] as string)) i++;
    if (i >= line.length) return argv;
    let arg = '';
    let quoted = false;
    while (i < line.length && (quoted || !SEPARATOR.test(line[i] as string))) {
      const ch = line[i] as string;
      if (ch === '\\') {
        let count = 0;
        while (line[i] === '\\') { count++; i++; }
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(count / 2));
          if (count % 2 === 1) { arg += '"'; i++; }
        } else arg += '\\'.repeat(count);
      } else if (ch === '"') {
        if (quoted && line[i + 1] === '"') { arg += '"'; i += 2; }
        else { quoted = !quoted; i++; }
      } else { arg += ch; i++; }
    }
    argv.push(arg);
  }
}
