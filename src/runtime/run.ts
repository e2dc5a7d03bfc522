// `gatehouse run`: the monitor's entry. Loads what the monitor needs before it can take the lock
// (shared with the library's in-process runGateway), optionally replaces a running gateway, then
// boots the monitor.
import { isDetached } from '../env.js';
import { ERROR_CODES, errorMessage, GatehouseError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { loadMonitorConfig, type MonitorConfig } from '../gateway/config-core.js';
import { ensureToken } from '../gateway/token.js';
import { ensureProfileDirs, type ProfilePaths } from '../paths.js';
import { LifecycleLog } from './lifecycle-log.js';
import { createJsonLog, type Logger } from './json-log.js';
import { GatewayLog } from './log-sink.js';
import { WorkerOutput } from './worker-output.js';
import { Monitor, newInstanceId, type MonitorContext } from './monitor.js';

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

export interface MonitorSetupOptions {
  /** Print readable log lines on stderr too (a foreground run). */
  readonly echo: boolean;
  readonly argv: readonly string[];
}

/**
 * What a monitor needs before it can take the lock: its profile's directories, log, lifecycle log,
 * config and token. A config that does not validate is logged and recorded, then thrown
 * (GatehouseError CONFIG_INVALID); the caller decides what that ends (`run`: the process, exit 78).
 */
export async function prepareMonitor(paths: ProfilePaths, options: MonitorSetupOptions): Promise<MonitorContext> {
  ensureProfileDirs(paths);
  // The monitor is the log's one writer: its own records and its workers' output (worker-output.ts).
  const sink = new GatewayLog(paths.gatewayLog, {
    echo: options.echo,
    onRotateError: (error) => log.warn({ err: error }, `could not rotate ${paths.gatewayLog}; writing on to it and trying again shortly`),
  });
  const log: Logger = createJsonLog({ sink, role: 'monitor' });
  const instance = newInstanceId();
  const lifecycle = new LifecycleLog(paths.lifecycleLog, instance);
  let config: MonitorConfig;
  try {
    config = await loadMonitorConfig(paths.config);
  } catch (error) {
    log.fatal({ hint: error instanceof GatehouseError ? error.hint : undefined }, errorMessage(error));
    lifecycle.append('start_failed', { reason: errorMessage(error), code: EXIT.CONFIG });
    throw error;
  }
  sink.limits = config.log;
  let tokenRead: ReturnType<typeof ensureToken>;
  try {
    tokenRead = ensureToken(paths.token);
  } catch (error) {
    log.fatal({ hint: error instanceof GatehouseError ? error.hint : undefined }, errorMessage(error));
    lifecycle.append('start_failed', { reason: errorMessage(error) });
    throw error;
  }
  const { token, note, replaced } = tokenRead;
  if (replaced !== undefined) {
    // Clients holding the old token now get 401: loud in the log, and `status --deep` shows it.
    log.warn(note ?? 'replaced the token file');
    lifecycle.append('token_replaced', { reason: replaced });
  } else if (note !== null) log.info(note);
  return { paths, config, token, log, output: new WorkerOutput(sink), lifecycle, instance, argv: options.argv };
}

export async function runGateway(paths: ProfilePaths, options: RunOptions): Promise<void> {
  let ctx: MonitorContext;
  try {
    ctx = await prepareMonitor(paths, { echo: !isDetached(), argv: options.argv });
  } catch (error) {
    // A bad config is already logged and recorded: fatal (78). Anything else (an unusable home, a
    // token that cannot be written) may have come before there was a log: the CLI reports it (exit 1).
    if (error instanceof GatehouseError && error.code === ERROR_CODES.CONFIG_INVALID) process.exit(EXIT.CONFIG);
    throw error;
  }
  if (options.replace !== null) {
    const result = await options.replace(ctx.config.drain.timeoutMs);
    if (result.wasRunning) ctx.log.info({ pid: result.pid, steps: result.steps }, 'replaced the running gateway');
    if (!result.ok) {
      ctx.log.error(result.message);
      process.exit(EXIT.FAILURE);
    }
  }
  // Node prints an uncaught exception's trace on stderr (a detached monitor's crash log) and exits:
  // the trace goes to the gateway log first, where `gatehouse logs` and `status --deep` show it.
  process.on('uncaughtExceptionMonitor', (error, origin) => ctx.log.fatal({ err: error, origin }, 'the monitor crashed'));
  await new Monitor(ctx).boot();
}
