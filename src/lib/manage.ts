// Start, stop, restart, status, install and uninstall a profile's gateway from code: the functions
// behind the CLI's commands, returning the objects the CLI prints with --json. Nothing here prints
// or exits; failures of the operation are in the result (ok: false, exitCode, message), misuse (an
// invalid profile name, an unusable home, an invalid config) throws GatehouseError with a code.
import { configSchema, drainTimeoutOrDefault, type GatewayConfig, type GatewayConfigInput } from '../gateway/config.js';
import { ERROR_CODES, GatehouseError } from '../errors.js';
import { formatIssues, writeJsonFile } from '../fs-util.js';
import { ensureProfileDirs } from '../paths.js';
import { restartGateway, type RestartResult } from '../control/restart.js';
import { installService, uninstallService, type ServiceOutcome } from '../control/service-install.js';
import { DEFAULT_START_TIMEOUT_MS, startGateway, type StartResult } from '../control/start.js';
import type { GatewayStatus } from '../control/status.js';
import { statusReport } from '../control/status-report.js';
import { stopGateway, type StopResult } from '../control/stop.js';
import { resolveTarget, type ProfileTarget } from './target.js';

export interface StartOptions extends ProfileTarget {
  /** How long to wait for the gateway to answer (default 30 s), as `start --timeout`. */
  readonly timeoutMs?: number;
}

export interface StopOptions extends ProfileTarget {
  /** How long in-flight work may drain (default: the profile's drain.timeoutMs, 30 s). */
  readonly timeoutMs?: number;
  /** Why, for the gateway's lifecycle log. */
  readonly reason?: string;
}

export interface StatusOptions extends ProfileTarget {
  /** Every probe, as `status --deep`. */
  readonly deep?: boolean;
}

export interface RestartOptions extends ProfileTarget {
  /** Replace the monitor too, as `restart --full`. */
  readonly full?: boolean;
}

export interface InstallOptions extends ProfileTarget {
  /** Start it now (default true), as the absence of `--no-start`. */
  readonly start?: boolean;
  /** Start it at login (default true), as the absence of `--no-login`. */
  readonly login?: boolean;
}

/** Start the gateway detached, as `gatehouse start`: ok only once it answered and stayed alive. */
export function start(options: StartOptions = {}): Promise<StartResult> {
  return startGateway(resolveTarget(options), options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS);
}

/** Drain and stop it, as `gatehouse stop` (escalating, identity-checked, if it does not go). */
export function stop(options: StopOptions = {}): Promise<StopResult> {
  const paths = resolveTarget(options);
  return stopGateway(paths, {
    timeoutMs: options.timeoutMs ?? drainTimeoutOrDefault(paths.config),
    reason: options.reason ?? 'stopped through the gatehouse library',
    holdAutostart: true,
  });
}

/** What is true about it, as `gatehouse status --json` (running, state, pid, api.url, service...). */
export function status(options: StatusOptions = {}): Promise<GatewayStatus> {
  return statusReport(resolveTarget(options), options.deep === true);
}

/** Replace the worker with no refused connection (or, full, the monitor too), as `gatehouse restart`. */
export function restart(options: RestartOptions = {}): Promise<RestartResult> {
  const paths = resolveTarget(options);
  return restartGateway(paths, options.full === true, drainTimeoutOrDefault(paths.config));
}

/** Start it at login through the OS's service manager, as `gatehouse install`. */
export function install(options: InstallOptions = {}): Promise<ServiceOutcome> {
  return installService(resolveTarget(options), { start: options.start ?? true, login: options.login ?? true });
}

/** Remove every autostart track of the profile, as `gatehouse uninstall`. */
export function uninstall(options: ProfileTarget = {}): Promise<ServiceOutcome> {
  return uninstallService(resolveTarget(options));
}

/**
 * Validate and write the profile's config.json (0600, atomically); returns it with the defaults filled
 * in. A running gateway reads it at its next worker start (`restart`). Throws GatehouseError
 * (GH_CONFIG_INVALID) naming the field, and writes nothing, when it does not validate.
 */
export function writeConfig(target: ProfileTarget, config: GatewayConfigInput): GatewayConfig {
  const paths = resolveTarget(target);
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) {
    throw new GatehouseError(ERROR_CODES.CONFIG_INVALID, `invalid configuration for ${paths.config}: ${formatIssues(parsed.error.issues)}`);
  }
  ensureProfileDirs(paths);
  writeJsonFile(paths.config, config);
  return parsed.data;
}
