// Quoting for systemd unit files, and the parser that undoes it. Three layers apply to ExecStart=
// (systemd.service(5) "Command lines", systemd.unit(5) "Specifiers"), in this order when systemd
// reads the line: specifiers (`%x`, so a literal `%` is `%%`), word splitting with quotes and C-style
// escapes, then environment substitution at exec time (`$VAR`, so a literal `$` is `$$`).
// Environment= gets the first two; path settings (WorkingDirectory=, append:) only specifiers.
import { DefinitionParseError, UnrepresentableError } from './spec.js';

// systemd's WHITESPACE: no Unicode spaces, unlike JavaScript's \s.
const SYSTEMD_WHITESPACE = /[ \t\n\r]/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const C_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r' };
const C_UNESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ',
};

/** Body of a double-quoted word: C escapes for `\` `"` and control characters, `%` doubled. */
function escapeQuoted(value: string, dollar: boolean): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (code === 0) throw new UnrepresentableError('systemd cannot pass a NUL character');
    if (C_ESCAPES[ch] !== undefined) out += C_ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (ch === '%') out += '%%';
    else if (ch === '$' && dollar) out += '$$';
    else out += ch;
  }
  return out;
}

/** One ExecStart= word, always double-quoted: an empty string, `;` or a leading `-`/`@` stay literal. */
export function quoteExecArg(value: string): string {
  return `"${escapeQuoted(value, true)}"`;
}

/** The whole ExecStart= value for an absolute executable and its arguments. */
export function quoteExecLine(argv: readonly string[]): string {
  const first = argv[0];
  if (first === undefined || !first.startsWith('/')) {
    throw new UnrepresentableError(`ExecStart needs an absolute executable, got ${JSON.stringify(first)}`);
  }
  return argv.map(quoteExecArg).join(' ');
}

/** One Environment= assignment, quoted: systemd substitutes no `$` here, so `$` stays single. */
export function quoteEnvironmentAssignment(name: string, value: string): string {
  if (!ENV_NAME.test(name)) throw new UnrepresentableError(`invalid environment variable name ${JSON.stringify(name)}`);
  return `"${name}=${escapeQuoted(value, false)}"`;
}

/** A path setting (WorkingDirectory=, StandardOutput=append:): no quoting exists, only specifiers. */
export function quoteUnitPath(path: string): string {
  if (!path.startsWith('/')) throw new UnrepresentableError(`systemd needs an absolute path, got ${JSON.stringify(path)}`);
  // The unit parser trims values and joins a line ending in `\` with the next one.
  if (/[\s\\]$/.test(path) || /[\x00-\x1f\x7f]/.test(path)) {
    throw new UnrepresentableError(`systemd cannot carry this path verbatim: ${JSON.stringify(path)}`);
  }
  return path.replaceAll('%', '%%');
}

/** Undo specifier escaping; any other specifier means the text was not written by us. */
export function unescapeSpecifiers(text: string): string {
  return text.replace(/%(.?)/gs, (_match, next: string) => {
    if (next === '%') return '%';
    throw new DefinitionParseError(`unexpected systemd specifier %${next} in ${JSON.stringify(text)}`);
  });
}

export function parseUnitPath(value: string): string {
  return unescapeSpecifiers(value);
}

/** Split a specifier-free value into words the way systemd does: quotes and C escapes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && SYSTEMD_WHITESPACE.test(text[i] as string)) i++;
    if (i >= text.length) break;
    let word = '';
    let quote: string | null = null;
    for (; i < text.length; i++) {
      const ch = text[i] as string;
      if (quote === null && SYSTEMD_WHITESPACE.test(ch)) break;
      if (ch === '\\') {
        const [value, used] = cUnescape(text, i + 1);
        word += value;
        i += used;
      } else if (quote === null && (ch === '"' || ch === "'")) quote = ch;
      else if (ch === quote) quote = null;
      else word += ch;
    }
    if (quote !== null) throw new DefinitionParseError(`unterminated quote in ${JSON.stringify(text)}`);
    words.push(word);
  }
  return words;
}

/** The character(s) a backslash sequence at `at` stands for, and how many characters it used. */
function cUnescape(text: string, at: number): [string, number] {
  const ch = text[at];
  if (ch === undefined) throw new DefinitionParseError('a backslash ends the value');
  const simple = C_UNESCAPES[ch];
  if (simple !== undefined) return [simple, 1];
  const hexLength = ch === 'x' ? 2 : ch === 'u' ? 4 : ch === 'U' ? 8 : 0;
  if (hexLength > 0) {
    const hex = text.slice(at + 1, at + 1 + hexLength);
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLength) throw new DefinitionParseError(`bad escape \\${ch}${hex}`);
    return [String.fromCodePoint(parseInt(hex, 16)), 1 + hexLength];
  }
  const octal = text.slice(at, at + 3);
  if (/^[0-7]{3}$/.test(octal)) return [String.fromCodePoint(parseInt(octal, 8)), 3];
  throw new DefinitionParseError(`unknown escape \\${ch}`);
}

/** Undo `$$`; a lone `$` would be substituted by systemd, so the text is not ours. */
function unescapeDollars(word: string): string {
  return word.replace(/\$(.?)/gs, (_match, next: string) => {
    if (next === '$') return '$';
    throw new DefinitionParseError(`unexpected environment substitution in ${JSON.stringify(word)}`);
  });
}

/** Parse an ExecStart= value back into argv. Inverse of quoteExecLine. */
export function parseExecLine(value: string): string[] {
  return splitWords(unescapeSpecifiers(value)).map(unescapeDollars);
}

/** Parse one Environment= value (possibly several assignments) into [name, value] pairs. */
export function parseEnvironmentLine(value: string): Array<[string, string]> {
  return splitWords(unescapeSpecifiers(value)).map((word) => {
    const eq = word.indexOf('=');
    const name = word.slice(0, eq);
    if (eq === -1 || !ENV_NAME.test(name)) throw new DefinitionParseError(`not an assignment: ${JSON.stringify(word)}`);
    return [name, word.slice(eq + 1)];
  });
}
