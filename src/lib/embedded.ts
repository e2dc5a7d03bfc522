// A gateway inside the calling program: the monitor runs in the caller's process (the worker is
// still a child, so a crashing agent cannot take the host down). Unlike `gatehouse run`, it takes
// nothing of the process: no signal handlers, no process.exit, no output; it ends only when asked
// (handle.stop(), `gatehouse stop`, a planned-stop marker, a worker that exits 78) and then releases
// everything it held, so the host's event loop can end. A full restart cannot load new code into
// the host, so it ends the gateway with exit 75 (`restartRequested`) for the host to act on.
import { ApiClient } from '../control/api-client.js';
import { controlTarget, hello } from '../runtime/control-client.js';
import { linesSince, logMark, problems } from '../control/log-excerpt.js';
import type { RestartReply } from '../runtime/protocol.js';
import { ERROR_CODES, GatehouseError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { GatewayConfigInput } from '../gateway/config.js';
import { Monitor } from '../runtime/monitor.js';
import { prepareMonitor } from '../runtime/run.js';
import { writeConfig } from './manage.js';
import { resolveTarget, type ProfileTarget } from './target.js';

const HELLO_TIMEOUT_MS = 1_000;

export interface RunGatewayOptions extends ProfileTarget {
  /** Validated and written to the profile's config.json first (writeConfig); else the file's, or the defaults. */
  readonly config?: GatewayConfigInput;
}

export interface GatewayExit {
  /** What `gatehouse run` would have exited with: 0 a stop, 75 a full restart asked, 78 a fatal config, 1 a failure. */
  readonly exitCode: number;
  readonly reason: string;
  /** A full restart was asked (`restart --full`, `/v1/admin/restart?full=1`): run it again, or exit 75 under your service manager. */
  readonly restartRequested: boolean;
}

export interface GatewayHandle {
  readonly profile: string;
  readonly home: string;
  /** The monitor's pid: this process. */
  readonly pid: number;
  readonly instance: string;
  readonly apiUrl: string;
  /** A client of its HTTP API (token included). */
  readonly client: ApiClient;
  /** Resolves once the gateway has ended and released everything, however it was ended. */
  readonly done: Promise<GatewayExit>;
  /** Drain (in-flight work gets timeoutMs, default drain.timeoutMs) and end; resolves as done does. */
  stop(options?: { readonly timeoutMs?: number; readonly reason?: string }): Promise<GatewayExit>;
  /** Replace the worker with no refused connection (it reloads config.json and the agent module). */
  restartWorker(): Promise<RestartReply>;
}

/**
 * Run the profile's gateway in this process; resolves once it serves. Rejects with GatehouseError:
 * GH_ALREADY_RUNNING (another gateway runs the profile), GH_CONFIG_INVALID (config.json, or an agent
 * module that does not load or implement Agent), GH_START_FAILED (a port in use, say), each saying
 * why, with the gateway's own log lines.
 */
export async function runGateway(options: RunGatewayOptions = {}): Promise<GatewayHandle> {
  const paths = resolveTarget(options);
  if (options.config !== undefined) writeConfig(options, options.config);
  const running = await hello(controlTarget(paths), HELLO_TIMEOUT_MS);
  if (running.ok) {
    throw new GatehouseError(ERROR_CODES.ALREADY_RUNNING, `another gateway already runs profile ${paths.profile} (pid ${running.data.pid})`, {
      hint: 'stop it first (stop(), `gatehouse stop`), or use it as it is',
    });
  }
  const logOffset = logMark(paths.gatewayLog);
  const ctx = await prepareMonitor(paths, { echo: false, argv: process.argv.slice(1) });
  let settle: (exit: GatewayExit) => void = () => {};
  const done = new Promise<GatewayExit>((resolve) => { settle = resolve; });
  const monitor = new Monitor({
    ...ctx,
    host: { exit: (exitCode, reason) => settle({ exitCode, reason, restartRequested: exitCode === EXIT.RESTART }) },
  });
  const apiUrl = (await monitor.boot()) ? monitor.apiUrl : null;
  if (apiUrl === null) {
    const exit = await done;
    const details = problems(linesSince(paths.gatewayLog, logOffset));
    throw new GatehouseError(exit.exitCode === EXIT.CONFIG ? ERROR_CODES.CONFIG_INVALID : ERROR_CODES.START_FAILED,
      [`the gateway of profile ${paths.profile} did not start: ${exit.reason}`, ...details].join('\n  '));
  }
  return {
    profile: paths.profile, home: paths.home, pid: process.pid, instance: ctx.instance, apiUrl,
    client: new ApiClient(apiUrl, ctx.token),
    done,
    async stop(stopOptions = {}) {
      await monitor.stop(stopOptions.reason ?? 'stopped by the host program', stopOptions.timeoutMs ?? ctx.config.drain.timeoutMs);
      return done;
    },
    restartWorker: () => monitor.restart(false, 'asked by the host program'),
  };
}
