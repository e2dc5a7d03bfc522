// Render and parse the XML property-list subset a LaunchAgent needs: dict, array, string, integer,
// true/false. Written by hand rather than with the `plist` package: the format is tiny, and owning
// both directions lets us refuse what we cannot represent instead of writing something else.
import { DefinitionParseError, UnrepresentableError } from './spec.js';
import { elementsOf, escapeXml, parseXml, textOf, type XmlElement } from './xml.js';

export type PlistValue = string | number | boolean | PlistValue[] | PlistDict;
export interface PlistDict { [key: string]: PlistValue }

const HEADER = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
  '<plist version="1.0">',
];
const INDENT = '\t';

export function renderPlist(root: PlistValue): string {
  return [...HEADER, ...renderValue(root, ''), '</plist>', ''].join('\n');
}

function renderValue(value: PlistValue, indent: string): string[] {
  if (typeof value === 'string') return [`${indent}<string>${escapeXml(value)}</string>`];
  if (typeof value === 'boolean') return [`${indent}<${value}/>`];
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new UnrepresentableError(`plist integers only, got ${value}`);
    return [`${indent}<integer>${value}</integer>`];
  }
  if (Array.isArray(value)) {
    return [`${indent}<array>`, ...value.flatMap((item) => renderValue(item, indent + INDENT)), `${indent}</array>`];
  }
  const lines = [`${indent}<dict>`];
  for (const [key, item] of Object.entries(value)) {
    lines.push(`${indent}${INDENT}<key>${escapeXml(key)}</key>`, ...renderValue(item, indent + INDENT));
  }
  lines.push(`${indent}</dict>`);
  return lines;
}

/** Parse a plist document into its value. Throws DefinitionParseError for anything outside the subset. */
export function parsePlist(text: string): PlistValue {
  const root = parseXml(text);
  if (root.name !== 'plist') throw new DefinitionParseError(`not a plist: root element <${root.name}>`);
  const [value, ...rest] = elementsOf(root);
  if (value === undefined || rest.length > 0) throw new DefinitionParseError('a plist holds exactly one value');
  return parseValue(value);
}

function parseValue(element: XmlElement): PlistValue {
  switch (element.name) {
    case 'string':
      return textOf(element);
    case 'integer': {
      const digits = textOf(element).trim();
      if (!/^[+-]?[0-9]+$/.test(digits) || !Number.isSafeInteger(Number(digits))) {
        throw new DefinitionParseError(`bad <integer> ${JSON.stringify(digits)}`);
      }
      return Number(digits);
    }
    case 'true':
    case 'false':
      if (element.children.length > 0) throw new DefinitionParseError(`<${element.name}/> must be empty`);
      return element.name === 'true';
    case 'array':
      return elementsOf(element).map(parseValue);
    case 'dict':
      return parseDict(element);
    default:
      throw new DefinitionParseError(`unsupported plist element <${element.name}>`);
  }
}

function parseDict(element: XmlElement): PlistDict {
  const items = elementsOf(element);
  const dict: PlistDict = {};
  for (let i = 0; i < items.length; i += 2) {
    const key = items[i] as XmlElement;
    const value = items[i + 1];
    if (key.name !== 'key' || value === undefined) throw new DefinitionParseError('a <dict> must alternate <key> and a value');
    const name = textOf(key);
    // Assigning "__proto__" would change the object's prototype instead of adding data.
    if (name === '__proto__') throw new DefinitionParseError('a plist key named __proto__');
    if (Object.hasOwn(dict, name)) throw new DefinitionParseError(`duplicate key ${JSON.stringify(name)}`);
    dict[name] = parseValue(value);
  }
  return dict;
}

export function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
