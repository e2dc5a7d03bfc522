// `gatehouse run`: the monitor's entry. Loads what the monitor needs before it can take the lock,
// optionally replaces a running gateway, then boots the monitor.
import { isDetached } from '../env.js';
import { errorMessage, GatehouseError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { loadConfig, type GatewayConfig } from '../gateway/config.js';
import { ensureToken } from '../gateway/token.js';
import { ensureProfileDirs, type ProfilePaths } from '../paths.js';
import { stopGateway } from '../control/stop.js';
import { rotateIfLarge } from '../fs-util.js';
import { LifecycleLog } from './lifecycle-log.js';
import { MAX_GATEWAY_LOG_BYTES } from './log-file.js';
import { createLogger } from './logger.js';
import { Monitor, newInstanceId } from './monitor.js';

export interface RunOptions {
  readonly replace: boolean;
  readonly argv: readonly string[];
}

export async function runGateway(paths: ProfilePaths, options: RunOptions): Promise<void> {
  ensureProfileDirs(paths);
  // A detached monitor's log was rotated by `start`, which opened it as the monitor's stdout.
  if (!isDetached()) rotateIfLarge(paths.gatewayLog, MAX_GATEWAY_LOG_BYTES);
  const log = createLogger({ file: paths.gatewayLog, role: 'monitor', echo: !isDetached() });
  const instance = newInstanceId();
  const lifecycle = new LifecycleLog(paths.lifecycleLog, instance);
  let config: GatewayConfig;
  try {
    config = loadConfig(paths.config);
  } catch (error) {
    log.fatal({ hint: error instanceof GatehouseError ? error.hint : undefined }, errorMessage(error));
    lifecycle.append('start_failed', { reason: errorMessage(error), code: EXIT.CONFIG });
    process.exit(EXIT.CONFIG);
  }
  const { token, note } = ensureToken(paths.token);
  if (note !== null) log.info(note);
  if (options.replace) {
    const result = await stopGateway(paths, { timeoutMs: config.drain.timeoutMs, reason: 'replaced by `run --replace`' });
    if (result.wasRunning) log.info({ pid: result.pid, steps: result.steps }, 'replaced the running gateway');
    if (!result.ok) {
      log.error(result.message);
      process.exit(EXIT.FAILURE);
    }
  }
  await new Monitor({ paths, config, token, log, lifecycle, instance, argv: options.argv }).boot();
}
