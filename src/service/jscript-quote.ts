// JScript (Windows Script Host) literals: quoting strings, and a reader for the literals our
// launcher declares (strings, integers, arrays). Every character outside printable ASCII becomes a
// \uXXXX escape, so the launcher file is pure ASCII and WSH's code-page guess (ANSI unless the file
// starts with a UTF-16LE BOM) cannot mangle a non-ASCII profile path.
import { DefinitionParseError } from './spec.js';

export type JsLiteral = string | number | JsLiteral[];

/** A double-quoted JScript string literal holding exactly `value`. */
export function quoteJsString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const code = value.charCodeAt(i); // UTF-16 units: JScript strings are UTF-16 too
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** Render a literal (string, integer or nested array) as JScript source. */
export function renderJsLiteral(value: JsLiteral): string {
  if (typeof value === 'string') return quoteJsString(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new DefinitionParseError(`integers only, got ${value}`);
    return String(value);
  }
  return `[${value.map(renderJsLiteral).join(', ')}]`;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0' };

/** Parse one whole literal; throws DefinitionParseError for anything else (expressions, trailing text). */
export function parseJsLiteral(source: string): JsLiteral {
  const reader = { text: source, at: 0 };
  const value = readLiteral(reader);
  skipSpace(reader);
  if (reader.at !== source.length) throw new DefinitionParseError(`unexpected text after a literal: ${JSON.stringify(source.slice(reader.at))}`);
  return value;
}

interface Reader { readonly text: string; at: number }

function skipSpace(r: Reader): void {
  while (/\s/.test(r.text[r.at] ?? '')) r.at++;
}

function readLiteral(r: Reader): JsLiteral {
  skipSpace(r);
  const ch = r.text[r.at];
  if (ch === '"' || ch === "'") return readString(r, ch);
  if (ch === '[') return readArray(r);
  const number = /^-?(0|[1-9][0-9]*)/.exec(r.text.slice(r.at));
  if (number !== null) {
    r.at += number[0].length;
    return Number(number[0]);
  }
  throw new DefinitionParseError(`expected a literal at ${JSON.stringify(r.text.slice(r.at, r.at + 20))}`);
}

function readArray(r: Reader): JsLiteral[] {
  r.at++; // [
  const items: JsLiteral[] = [];
  skipSpace(r);
  if (r.text[r.at] === ']') { r.at++; return items; }
  for (;;) {
    items.push(readLiteral(r));
    skipSpace(r);
    const next = r.text[r.at++];
    if (next === ']') return items;
    if (next !== ',') throw new DefinitionParseError('expected , or ] in an array');
  }
}

function readString(r: Reader, quote: string): string {
  let out = '';
  for (r.at++; ; r.at++) {
    const ch = r.text[r.at];
    if (ch === undefined || ch === '\n' || ch === '\r') throw new DefinitionParseError('unterminated string literal');
    if (ch === quote) { r.at++; return out; }
    if (ch !== '\\') { out += ch; continue; }
    const esc = r.text[++r.at] ?? '';
    const hexLength = esc === 'u' ? 4 : esc === 'x' ? 2 : 0;
    if (hexLength > 0) {
      const hex = r.text.slice(r.at + 1, r.at + 1 + hexLength);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLength) throw new DefinitionParseError(`bad escape \\${esc}${hex}`);
      out += String.fromCharCode(parseInt(hex, 16));
      r.at += hexLength;
    } else if (SIMPLE_ESCAPES[esc] !== undefined) out += SIMPLE_ESCAPES[esc];
    else if (esc === '\n' || esc === '\r' || esc === '') throw new DefinitionParseError('line continuation in a string literal');
    else out += esc; // \\ \" \' and identity escapes
  }
}
