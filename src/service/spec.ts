// Building, validating and naming service specs: the checks every backend shares, so each renderer
// can assume a spec it can represent exactly (and each parser can give the same spec back).
import { posix, win32 } from 'node:path';
import { ENV } from '../env.js';
import { UnrepresentableError } from '../errors.js';
import type { ServiceSpec } from './types.js';

export const DEFAULT_PROFILE = 'default';
/** Drain timeout when the caller has none: the contract's `stop` default. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/**
 * Added to the drain timeout for the manager's stop deadline: after draining, the monitor still
 * stops its worker, checkpoints SQLite and removes its PID file. A manager that SIGKILLs during
 * that tail loses the resume_pending marks.
 */
export const STOP_MARGIN_MS = 15_000;
const MS_PER_SECOND = 1_000;
/** Only these may appear in a service definition: anything else could be a secret. */
export const SERVICE_ENV_KEYS: readonly string[] = [ENV.HOME, ENV.SUPERVISED];

// The errors of every definition format, defined with the other coded errors (platform/ throws them too).
export { DefinitionParseError, UnrepresentableError } from '../errors.js';

export interface SpecInput {
  readonly profile?: string;
  readonly nodePath: string;
  readonly entryScript: string;
  readonly home: string;
  readonly workingDirectory: string;
  readonly logDir: string;
  readonly drainTimeoutMs?: number;
}

/** The spec `gatehouse install` renders: run the monitor in the foreground, supervised. */
export function buildServiceSpec(input: SpecInput): ServiceSpec {
  const profile = input.profile ?? DEFAULT_PROFILE;
  return validateSpec({
    profile,
    nodePath: input.nodePath,
    entryScript: input.entryScript,
    args: ['run', '--profile', profile],
    env: { [ENV.HOME]: input.home, [ENV.SUPERVISED]: '1' },
    workingDirectory: input.workingDirectory,
    drainTimeoutMs: input.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    logDir: input.logDir,
  });
}

/** Throws UnrepresentableError for a spec no backend should install; returns it unchanged otherwise. */
export function validateSpec(spec: ServiceSpec): ServiceSpec {
  for (const [what, path] of [
    ['node path', spec.nodePath],
    ['entry script', spec.entryScript],
    ['working directory', spec.workingDirectory],
    ['log directory', spec.logDir],
  ] as const) {
    if (!posix.isAbsolute(path) && !win32.isAbsolute(path)) {
      throw new UnrepresentableError(`${what} must be an absolute path, got ${JSON.stringify(path)}`);
    }
    assertPlainText(path, what);
  }
  for (const arg of spec.args) assertPlainText(arg, 'argument');
  for (const [key, value] of Object.entries(spec.env)) {
    if (!SERVICE_ENV_KEYS.includes(key)) {
      throw new UnrepresentableError(`environment variable ${key} may not go into a service definition (allowed: ${SERVICE_ENV_KEYS.join(', ')})`);
    }
    assertPlainText(value, `value of ${key}`);
  }
  const profileAt = spec.args.indexOf('--profile');
  const argProfile = profileAt === -1 ? DEFAULT_PROFILE : spec.args[profileAt + 1];
  if (argProfile !== spec.profile) {
    throw new UnrepresentableError(`args start profile ${JSON.stringify(argProfile)}, spec says ${JSON.stringify(spec.profile)}`);
  }
  // Whole seconds: launchd's ExitTimeOut and the CLI's --timeout are seconds, and a parser must
  // give back exactly what was rendered.
  if (!Number.isInteger(spec.drainTimeoutMs / MS_PER_SECOND) || spec.drainTimeoutMs <= 0) {
    throw new UnrepresentableError(`drain timeout must be a positive whole number of seconds, got ${spec.drainTimeoutMs} ms`);
  }
  return spec;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** CR, LF and NUL break every one-line format we write; lone surrogates cannot be encoded. */
export function assertPlainText(value: string, what: string): void {
  if (/[\r\n\0]/.test(value)) throw new UnrepresentableError(`${what} contains a line break or NUL: ${JSON.stringify(value)}`);
  if (LONE_SURROGATE.test(value)) throw new UnrepresentableError(`${what} contains an unpaired surrogate`);
}

/** The profile a parsed argv starts: `--profile NAME`, else the default. */
export function profileFromArgs(args: readonly string[]): string {
  const at = args.indexOf('--profile');
  return at === -1 ? DEFAULT_PROFILE : (args[at + 1] ?? DEFAULT_PROFILE);
}

/** Seconds a manager must wait for a stop before killing: drain timeout plus the margin. */
export function stopTimeoutSeconds(drainTimeoutMs: number): number {
  return Math.ceil((drainTimeoutMs + STOP_MARGIN_MS) / MS_PER_SECOND);
}

/** Inverse of stopTimeoutSeconds for specs that passed validateSpec (whole-second drains). */
export function drainTimeoutFromStopSeconds(seconds: number): number {
  return seconds * MS_PER_SECOND - STOP_MARGIN_MS;
}

/** Per-profile names: the default profile keeps the short name users type. */
export function serviceBaseName(profile: string): string {
  return profile === DEFAULT_PROFILE ? 'gatehouse' : `gatehouse-${profile}`;
}

/** Key order and array order normalised: for drift checks and test comparisons. */
export function normalizeSpec(spec: ServiceSpec): ServiceSpec {
  const env: Record<string, string> = {};
  for (const key of Object.keys(spec.env).sort()) env[key] = spec.env[key] as string;
  return {
    profile: spec.profile,
    nodePath: spec.nodePath,
    entryScript: spec.entryScript,
    args: [...spec.args],
    env,
    workingDirectory: spec.workingDirectory,
    drainTimeoutMs: spec.drainTimeoutMs,
    logDir: spec.logDir,
  };
}

export function sameSpec(a: ServiceSpec, b: ServiceSpec): boolean {
  return JSON.stringify(normalizeSpec(a)) === JSON.stringify(normalizeSpec(b));
}
