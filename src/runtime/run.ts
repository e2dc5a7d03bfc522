// `gatehouse run`: the monitor's entry. Loads what the monitor needs before it can take the lock,
// optionally replaces a running gateway, then boots the monitor.
import { isDetached } from '../env.js';
import { errorMessage, GatehouseError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { loadMonitorConfig, type MonitorConfig } from '../gateway/config-core.js';
import { ensureToken } from '../gateway/token.js';
import { ensureProfileDirs, type ProfilePaths } from '../paths.js';
import { rotateIfLarge } from '../fs-util.js';
import { LifecycleLog } from './lifecycle-log.js';
import { MAX_GATEWAY_LOG_BYTES } from './log-file.js';
import { createJsonLog } from './json-log.js';
import { Monitor, newInstanceId } from './monitor.js';

/** What replacing a running gateway reported (the CLI passes control/stop's stopGateway in). */
export interface ReplaceOutcome {
  readonly wasRunning: boolean;
  readonly ok: boolean;
  readonly pid: number | null;
  readonly steps: readonly string[];
  readonly message: string;
}

export interface RunOptions {
  /** `run --replace`: drain a running gateway of the profile first (given the configured drain timeout). */
  readonly replace: ((drainTimeoutMs: number) => Promise<ReplaceOutcome>) | null;
  readonly argv: readonly string[];
}

export async function runGateway(paths: ProfilePaths, options: RunOptions): Promise<void> {
  ensureProfileDirs(paths);
  // A detached monitor's log was rotated by `start`, which opened it as the monitor's stdout.
  if (!isDetached()) rotateIfLarge(paths.gatewayLog, MAX_GATEWAY_LOG_BYTES);
  const log = createJsonLog({ file: paths.gatewayLog, role: 'monitor', echo: !isDetached() });
  const instance = newInstanceId();
  const lifecycle = new LifecycleLog(paths.lifecycleLog, instance);
  let config: MonitorConfig;
  try {
    config = await loadMonitorConfig(paths.config);
  } catch (error) {
    log.fatal({ hint: error instanceof GatehouseError ? error.hint : undefined }, errorMessage(error));
    lifecycle.append('start_failed', { reason: errorMessage(error), code: EXIT.CONFIG });
    process.exit(EXIT.CONFIG);
  }
  let tokenRead: ReturnType<typeof ensureToken>;
  try {
    tokenRead = ensureToken(paths.token);
  } catch (error) {
    log.fatal({ hint: error instanceof GatehouseError ? error.hint : undefined }, errorMessage(error));
    lifecycle.append('start_failed', { reason: errorMessage(error) });
    process.exit(EXIT.FAILURE);
  }
  const { token, note, replaced } = tokenRead;
  if (replaced !== undefined) {
    // Clients holding the old token now get 401: loud in the log, and `status --deep` shows it.
    log.warn(note ?? 'replaced the token file');
    lifecycle.append('token_replaced', { reason: replaced });
  } else if (note !== null) log.info(note);
  if (options.replace !== null) {
    const result = await options.replace(config.drain.timeoutMs);
    if (result.wasRunning) log.info({ pid: result.pid, steps: result.steps }, 'replaced the running gateway');
    if (!result.ok) {
      log.error(result.message);
      process.exit(EXIT.FAILURE);
    }
  }
  await new Monitor({ paths, config, token, log, lifecycle, instance, argv: options.argv }).boot();
}
