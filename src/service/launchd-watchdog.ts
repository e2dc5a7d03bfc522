// The watchdog LaunchAgent the gateway's LaunchAgent brings along on macOS: launchd runs
// `gatehouse alert --check` every WATCHDOG_INTERVAL_S (StartInterval), in a job of its own, so a
// monitor that died and was not revived (exit 0 is never relaunched, exit 78 after its config
// turned fatal is relaunched into the same failure, launchd throttles a crashing one) or that is
// wedged is still alerted on. Its own label: the gateway's KeepAlive and bootout never touch it.
// The check does nothing but look when alerts are not configured.
import { posix } from 'node:path';
import { errorMessage } from '../errors.js';
import { ENV } from '../env.js';
import { isPlistDict, parsePlist, renderPlist } from './plist.js';
import { DEFAULT_PROFILE, DefinitionParseError, profileFromArgs, serviceBaseName, validateSpec } from './spec.js';
import { WATCHDOG_INTERVAL_S } from './systemd-watchdog.js';
import type { ServiceSpec } from './types.js';

const LABEL_PREFIX = 'io.gatehouse.watchdog';
/** 0o077, as the gateway's own agent: the check writes incident files and the delivery record. */
const UMASK = 0o077;

export function watchdogLabel(profile: string): string {
  return profile === DEFAULT_PROFILE ? LABEL_PREFIX : `${LABEL_PREFIX}.${profile}`;
}

export function watchdogAgentPath(launchAgentsDir: string, profile: string): string {
  return posix.join(launchAgentsDir, `${watchdogLabel(profile)}.plist`);
}

/** The command the watchdog runs: the same node and entry script as the gateway's agent. */
export function watchdogArguments(spec: ServiceSpec): string[] {
  return [spec.nodePath, spec.entryScript, 'alert', '--check', '--profile', spec.profile];
}

export function renderWatchdogAgent(spec: ServiceSpec): string {
  validateSpec(spec);
  const home = spec.env[ENV.HOME];
  const log = posix.join(spec.logDir, `${serviceBaseName(spec.profile)}.watchdog.log`);
  return renderPlist({
    Label: watchdogLabel(spec.profile),
    ProgramArguments: watchdogArguments(spec),
    WorkingDirectory: spec.workingDirectory,
    EnvironmentVariables: home === undefined ? {} : { [ENV.HOME]: home },
    // Not at load: the first look comes one interval after login, when the gateway had time to start.
    RunAtLoad: false,
    StartInterval: WATCHDOG_INTERVAL_S,
    ProcessType: 'Background',
    Umask: UMASK,
    StandardInPath: '/dev/null',
    StandardOutPath: log,
    StandardErrorPath: log,
  });
}

export interface ParsedWatchdog {
  readonly profile: string;
  readonly programArguments: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly workingDirectory: string;
  readonly intervalS: number;
}

/** Read an installed watchdog plist back (what launchd will run, and how often). */
export function parseWatchdogAgent(text: string): { ok: true; watchdog: ParsedWatchdog } | { ok: false; reason: string } {
  try {
    const root = parsePlist(text);
    if (!isPlistDict(root)) throw new DefinitionParseError('the plist is not a dict');
    const args = root['ProgramArguments'];
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string') || !(args as string[]).slice(2, 4).every((a, i) => a === ['alert', '--check'][i])) {
      throw new DefinitionParseError('ProgramArguments is not `<node> <entry> alert --check ...`');
    }
    const profile = profileFromArgs((args as string[]).slice(2));
    if (root['Label'] !== watchdogLabel(profile)) throw new DefinitionParseError(`Label is not ${watchdogLabel(profile)}`);
    const interval = root['StartInterval'];
    if (typeof interval !== 'number' || interval <= 0) throw new DefinitionParseError('StartInterval is missing');
    const env = root['EnvironmentVariables'] ?? {};
    if (!isPlistDict(env) || !Object.values(env).every((v) => typeof v === 'string')) throw new DefinitionParseError('EnvironmentVariables is not a dict of strings');
    const cwd = root['WorkingDirectory'];
    if (typeof cwd !== 'string') throw new DefinitionParseError('WorkingDirectory is missing');
    return { ok: true, watchdog: { profile, programArguments: args as string[], environment: env as Record<string, string>, workingDirectory: cwd, intervalS: interval } };
  } catch (error) {
    return { ok: false, reason: errorMessage(error) };
  }
}
