// Hand-written checks for the small JSON records the monitor and the CLI read (PID file, state
// file, planned-stop marker): zod costs about 20 MB and its load time in every process that loads
// it, and these shapes need a dozen lines. A shape has zod's `safeParse` signature, so
// fs-util's readJsonFile takes either; the worker still validates the config with zod.
export interface ShapeIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export type ShapeResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly error: { readonly issues: readonly ShapeIssue[] } };

export interface Shape<T> {
  safeParse(value: unknown): ShapeResult<T>;
}

/** A value's check: the value to keep (unknown keys of objects dropped) or what is wrong, by path. */
type Checked = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issues: ShapeIssue[] };
export type Check = (value: unknown, path: readonly PropertyKey[]) => Checked;

const received = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const bad = (path: readonly PropertyKey[], message: string): Checked => ({ ok: false, issues: [{ path, message }] });
const good = (value: unknown): Checked => ({ ok: true, value });

export function predicateCheck(expected: string, holds: (value: unknown) => boolean): Check {
  return (value, path) => (holds(value) ? good(value) : bad(path, `expected ${expected}, received ${received(value)}`));
}

export const string = predicateCheck('string', (v) => typeof v === 'string');
export const nonEmptyString = predicateCheck('non-empty string', (v) => typeof v === 'string' && v.length > 0);
export const number = predicateCheck('number', (v) => typeof v === 'number' && Number.isFinite(v));
export const integer = predicateCheck('integer', (v) => Number.isInteger(v));
export const positiveInteger = predicateCheck('positive integer', (v) => Number.isInteger(v) && (v as number) > 0);
export const nonNegativeInteger = predicateCheck('integer >= 0', (v) => Number.isInteger(v) && (v as number) >= 0);
export const boolean = predicateCheck('boolean', (v) => typeof v === 'boolean');
export const literal = (expected: string): Check => predicateCheck(JSON.stringify(expected), (v) => v === expected);
export const oneOf = (options: readonly string[]): Check => predicateCheck(`one of ${options.join('|')}`, (v) => typeof v === 'string' && options.includes(v));

export const nullable = (check: Check): Check => (value, path) => (value === null ? good(null) : check(value, path));

export function arrayOf(check: Check): Check {
  return (value, path) => {
    if (!Array.isArray(value)) return bad(path, `expected array, received ${received(value)}`);
    const issues = value.flatMap((item, i) => { const r = check(item, [...path, i]); return r.ok ? [] : r.issues; });
    return issues.length === 0 ? good(value) : { ok: false, issues };
  };
}

export interface FieldOptions {
  /** Keys that may be absent (and are then left out). */
  readonly optional?: readonly string[];
  /** Values for absent keys (older files that predate a field). */
  readonly defaults?: Readonly<Record<string, unknown>>;
}

/** A plain object with these fields; other keys are dropped, as zod's z.object does. */
export function object(fields: Readonly<Record<string, Check>>, options: FieldOptions = {}): Check {
  return (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(path, `expected object, received ${received(value)}`);
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const issues: ShapeIssue[] = [];
    for (const [key, check] of Object.entries(fields)) {
      if (record[key] === undefined) {
        if (options.defaults !== undefined && key in options.defaults) out[key] = options.defaults[key];
        else if (options.optional?.includes(key) !== true) issues.push({ path: [...path, key], message: 'required' });
        continue;
      }
      const r = check(record[key], [...path, key]);
      if (r.ok) out[key] = r.value;
      else issues.push(...r.issues);
    }
    return issues.length === 0 ? good(out) : { ok: false, issues };
  };
}

/** The top-level check as a shape for readJsonFile. The caller states the type the check proves. */
export function shape<T>(check: Check): Shape<T> {
  return {
    safeParse(value: unknown): ShapeResult<T> {
      const r = check(value, []);
      return r.ok ? { success: true, data: r.value as T } : { success: false, error: { issues: r.issues } };
    },
  };
}
