// The macOS LaunchAgent definition: render it from a spec and parse an installed plist back.
// Why each key (launchd.plist(5)):
// - KeepAlive {SuccessfulExit: false}: relaunch after a crash or a kill, but not after exit 0, the
//   monitor's planned stop; KeepAlive=true would undo every `gatehouse stop` (DESIGN pitfalls).
// - ExitTimeOut: seconds between SIGTERM and SIGKILL at stop; drain timeout plus a margin.
// - ThrottleInterval: launchd's minimum seconds between launches, our crash-loop pacing.
// - StandardInPath /dev/null: the monitor never sees a terminal it could wait on.
import { posix } from 'node:path';
import { errorMessage } from '../errors.js';
import type { ParsedDefinition, ServiceSpec } from './types.js';
import { DEFAULT_PROFILE, DefinitionParseError, drainTimeoutFromStopSeconds, profileFromArgs, serviceBaseName, stopTimeoutSeconds, validateSpec } from './spec.js';
import { isPlistDict, parsePlist, renderPlist, type PlistDict, type PlistValue } from './plist.js';

export const THROTTLE_INTERVAL_SEC = 10;
/**
 * Background, as launchd's own agents doing unrequested work are; it lowers CPU and I/O priority
 * under contention. Switch to 'Standard' if reply latency under load matters more.
 */
export const PROCESS_TYPE = 'Background';
/** 0o077: files the monitor creates are the user's alone (the token, the database). */
const UMASK = 0o077;
const LABEL_PREFIX = 'io.gatehouse.gateway';

export function launchdLabel(profile: string): string {
  return profile === DEFAULT_PROFILE ? LABEL_PREFIX : `${LABEL_PREFIX}.${profile}`;
}

/** `~/Library/LaunchAgents/<label>.plist`; the directory is injected by the caller. */
export function launchAgentPath(launchAgentsDir: string, profile: string): string {
  return posix.join(launchAgentsDir, `${launchdLabel(profile)}.plist`);
}

/** Default log directory on macOS: `~/Library/Logs/gatehouse`. */
export function macLogDir(userHome: string): string {
  return posix.join(userHome, 'Library', 'Logs', 'gatehouse');
}

export function renderLaunchAgent(spec: ServiceSpec): string {
  validateSpec(spec);
  const base = serviceBaseName(spec.profile);
  const env: PlistDict = {};
  for (const key of Object.keys(spec.env).sort()) env[key] = spec.env[key] as string;
  return renderPlist({
    Label: launchdLabel(spec.profile),
    ProgramArguments: [spec.nodePath, spec.entryScript, ...spec.args],
    WorkingDirectory: spec.workingDirectory,
    EnvironmentVariables: env,
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ExitTimeOut: stopTimeoutSeconds(spec.drainTimeoutMs),
    ThrottleInterval: THROTTLE_INTERVAL_SEC,
    ProcessType: PROCESS_TYPE,
    Umask: UMASK,
    StandardInPath: '/dev/null',
    StandardOutPath: posix.join(spec.logDir, `${base}.out.log`),
    StandardErrorPath: posix.join(spec.logDir, `${base}.err.log`),
  });
}

function stringAt(dict: PlistDict, key: string): string {
  const value = dict[key];
  if (typeof value !== 'string') throw new DefinitionParseError(`${key} is missing or not a string`);
  return value;
}

function stringsOf(value: PlistValue | undefined, key: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new DefinitionParseError(`${key} is missing or not an array of strings`);
  }
  return value as string[];
}

/** Parse an installed plist into the spec it starts; the label must be the one its profile gets. */
export function parseLaunchAgent(text: string): ParsedDefinition {
  try {
    const root = parsePlist(text);
    if (!isPlistDict(root)) throw new DefinitionParseError('the plist is not a dict');
    const [nodePath, entryScript, ...args] = stringsOf(root['ProgramArguments'], 'ProgramArguments');
    if (nodePath === undefined || entryScript === undefined) throw new DefinitionParseError('ProgramArguments has no entry script');
    const profile = profileFromArgs(args);
    if (stringAt(root, 'Label') !== launchdLabel(profile)) throw new DefinitionParseError(`Label is not ${launchdLabel(profile)}`);
    const envDict = root['EnvironmentVariables'] ?? {};
    if (!isPlistDict(envDict)) throw new DefinitionParseError('EnvironmentVariables is not a dict');
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(envDict)) {
      if (typeof value !== 'string') throw new DefinitionParseError(`environment value ${key} is not a string`);
      env[key] = value;
    }
    const exitTimeOut = root['ExitTimeOut'];
    if (typeof exitTimeOut !== 'number') throw new DefinitionParseError('ExitTimeOut is missing');
    const spec: ServiceSpec = {
      profile,
      nodePath,
      entryScript,
      args,
      env,
      workingDirectory: stringAt(root, 'WorkingDirectory'),
      drainTimeoutMs: drainTimeoutFromStopSeconds(exitTimeOut),
      logDir: posix.dirname(stringAt(root, 'StandardOutPath')),
    };
    return { ok: true, spec };
  } catch (error) {
    return { ok: false, reason: errorMessage(error) };
  }
}
