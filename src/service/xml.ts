// XML escaping and a small XML reader for the two XML formats we write and read back: launchd plists
// and Task Scheduler task definitions. Only what those need: elements, attributes, text, CDATA,
// comments, the declaration and a DOCTYPE without an internal subset. No external entities, ever.
import { DefinitionParseError, UnrepresentableError } from './spec.js';

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: ReadonlyArray<XmlElement | string>;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** Characters XML 1.0 cannot carry at all, not even as &#N; (C0 controls but tab/LF/CR, U+FFFE/F). */
const NOT_XML_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Escape text for element content or a quoted attribute: the five entities, and tab/LF/CR as
 * character references, because a parser normalises a literal CR to LF and, in attributes, all
 * three to spaces.
 */
export function escapeXml(text: string): string {
  if (NOT_XML_CHAR.test(text)) throw new UnrepresentableError(`XML cannot carry ${JSON.stringify(text)}`);
  return text.replace(/[&<>"'\t\n\r]/g, (ch) => ENTITIES[ch] ?? `&#${ch.charCodeAt(0)};`);
}

/** Decode entity and character references in text or an attribute value. */
export function unescapeXml(text: string): string {
  return text.replace(/&([^;&\s]*);|&/g, (match, ref: string | undefined) => {
    if (ref === undefined) throw new DefinitionParseError('a bare & in XML text');
    const named = NAMED[ref];
    if (named !== undefined) return named;
    const numeric = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
    if (numeric === null) throw new DefinitionParseError(`unknown XML entity ${match}`);
    const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]);
    if (code > 0x10ffff || NOT_XML_CHAR.test(String.fromCodePoint(code)) || (code >= 0xd800 && code <= 0xdfff)) {
      throw new DefinitionParseError(`character reference ${match} is not an XML character`);
    }
    return String.fromCodePoint(code);
  });
}

/** Parse a document into its root element. Throws DefinitionParseError on anything malformed. */
export function parseXml(source: string): XmlElement {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'); // XML end-of-line handling
  const reader = { text, at: 0 };
  skipMisc(reader, true);
  const root = readElement(reader);
  skipMisc(reader, false);
  if (reader.at !== text.length) throw new DefinitionParseError(`content after the root element at offset ${reader.at}`);
  return root;
}

interface Reader { readonly text: string; at: number }

function skipMisc(r: Reader, prolog: boolean): void {
  for (;;) {
    while (/\s/.test(r.text[r.at] ?? '')) r.at++;
    if (r.text.startsWith('<?', r.at)) r.at = after(r, '?>');
    else if (r.text.startsWith('<!--', r.at)) r.at = after(r, '-->');
    else if (prolog && r.text.startsWith('<!DOCTYPE', r.at)) {
      const end = r.text.indexOf('>', r.at);
      if (end === -1 || r.text.slice(r.at, end).includes('[')) throw new DefinitionParseError('unsupported DOCTYPE');
      r.at = end + 1;
    } else return;
  }
}

function after(r: Reader, terminator: string): number {
  const end = r.text.indexOf(terminator, r.at);
  if (end === -1) throw new DefinitionParseError(`unterminated construct, expected ${terminator}`);
  return end + terminator.length;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTRIBUTE = /\s+([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;

function readName(r: Reader): string {
  NAME.lastIndex = r.at;
  const match = NAME.exec(r.text);
  if (match === null) throw new DefinitionParseError(`expected a name at offset ${r.at}`);
  r.at = NAME.lastIndex;
  return match[0];
}

function readElement(r: Reader): XmlElement {
  if (r.text[r.at] !== '<') throw new DefinitionParseError(`expected an element at offset ${r.at}`);
  r.at++;
  const name = readName(r);
  const attributes: Record<string, string> = {};
  for (;;) {
    ATTRIBUTE.lastIndex = r.at;
    const match = ATTRIBUTE.exec(r.text);
    if (match === null) break;
    attributes[match[1] as string] = unescapeXml(match[2] ?? match[3] ?? '');
    r.at = ATTRIBUTE.lastIndex;
  }
  while (/\s/.test(r.text[r.at] ?? '')) r.at++;
  if (r.text.startsWith('/>', r.at)) {
    r.at += 2;
    return { name, attributes, children: [] };
  }
  if (r.text[r.at] !== '>') throw new DefinitionParseError(`malformed start tag <${name}> at offset ${r.at}`);
  r.at++;
  return { name, attributes, children: readContent(r, name) };
}

function readContent(r: Reader, name: string): Array<XmlElement | string> {
  const children: Array<XmlElement | string> = [];
  let text = '';
  for (;;) {
    if (r.at >= r.text.length) throw new DefinitionParseError(`<${name}> is not closed`);
    if (r.text.startsWith('</', r.at)) {
      r.at += 2;
      if (readName(r) !== name) throw new DefinitionParseError(`mismatched end tag for <${name}>`);
      r.at = after(r, '>');
      if (text !== '') children.push(text);
      return children;
    }
    if (r.text.startsWith('<![CDATA[', r.at)) {
      const start = r.at + '<![CDATA['.length;
      r.at = after(r, ']]>');
      text += r.text.slice(start, r.at - 3);
    } else if (r.text.startsWith('<!--', r.at)) r.at = after(r, '-->');
    else if (r.text[r.at] === '<') {
      if (text !== '') children.push(text);
      text = '';
      children.push(readElement(r));
    } else {
      const next = r.text.indexOf('<', r.at);
      const end = next === -1 ? r.text.length : next;
      text += unescapeXml(r.text.slice(r.at, end));
      r.at = end;
    }
  }
}

/** Child elements, skipping whitespace text between them. */
export function elementsOf(element: XmlElement): XmlElement[] {
  return element.children.filter((child): child is XmlElement => typeof child !== 'string');
}

/** Concatenated text content of an element that holds only text. */
export function textOf(element: XmlElement): string {
  if (element.children.some((child) => typeof child !== 'string')) {
    throw new DefinitionParseError(`<${element.name}> holds elements, expected text`);
  }
  return element.children.join('');
}

/** The first child element with this name, or undefined. */
export function childNamed(element: XmlElement, name: string): XmlElement | undefined {
  return elementsOf(element).find((child) => child.name === name);
}
