// `gatehouse install` / `uninstall`: build the profile's service spec, pick the platform's autostart
// backend, and install, print or remove it. Asks nothing, ever: it runs from scripts and installers.
import { drainTimeoutOrDefault } from '../gateway/config.js';
import { ERROR_CODES, GatehouseError, errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { ensureProfileDirs, type ProfilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import type { ServiceHost, SelectedService } from '../service/select.js';
import { buildServiceSpec } from '../service/spec.js';
import { releaseAutostartHold } from '../service/autostart-hold.js';
import type { InstallOptions, RenderedDefinition, ServiceKind, ServiceSpec } from '../service/types.js';
import { ENTRY_SCRIPT } from '../version.js';
import { controlTarget, hello } from '../runtime/control-client.js';
import { selectFor, type DetachedStart } from './service-select.js';
import { stopGateway } from './stop.js';

const HELLO_TIMEOUT_MS = 1_000;

/** An install that starts the gateway now through a Windows track: the start code loads only then. */
const startNow: DetachedStart = async (paths) => (await import('./start.js')).startDetached(paths);
const MS_PER_SECOND = 1_000;

export interface ServiceOutcome {
  readonly ok: boolean;
  readonly exitCode: number;
  readonly kind: ServiceKind | null;
  /** What was done, one line each, for stdout. */
  readonly lines: readonly string[];
  /** What the user should know or do (linger off, a track left behind), for stderr. */
  readonly warnings: readonly string[];
  /** Why it failed, when it did. */
  readonly error: string | null;
}

const failed = (error: string, kind: ServiceKind | null = null, lines: string[] = []): ServiceOutcome =>
  ({ ok: false, exitCode: EXIT.FAILURE, kind, lines, warnings: [], error });

/**
 * The drain timeout in whole seconds (at least 1): service definitions carry seconds, and the
 * manager's stop deadline is derived from it, so rounding up never cuts a drain short.
 */
export function serviceDrainTimeoutMs(configured: number): number {
  return Math.max(1, Math.ceil(configured / MS_PER_SECOND)) * MS_PER_SECOND;
}

/** The monitor in the foreground under the manager: absolute node and entry script, the resolved home. */
export function serviceSpecFor(paths: ProfilePaths, service: SelectedService): ServiceSpec {
  return buildServiceSpec({
    profile: paths.profile,
    nodePath: process.execPath,
    entryScript: ENTRY_SCRIPT,
    home: paths.home,
    workingDirectory: paths.dir,
    logDir: service.logDir(paths.logDir),
    drainTimeoutMs: serviceDrainTimeoutMs(drainTimeoutOrDefault(paths.config)),
  });
}

/** `install --print`: the files install would write, rendered; touches nothing. */
export async function renderService(paths: ProfilePaths, host?: ServiceHost): Promise<{ kind: ServiceKind; definitions: RenderedDefinition[] }> {
  const selection = await selectFor(paths, host);
  if (!selection.ok) throw new GatehouseError(ERROR_CODES.UNSUPPORTED, selection.reason);
  const { service } = selection;
  return { kind: service.kind, definitions: service.backend.render(serviceSpecFor(paths, service)) };
}

/**
 * A gateway started by `gatehouse start` holds the profile's lock: the manager's monitor would exit
 * "already running" and be restarted into the start limit. Drain it, then let the manager start one.
 */
async function handOver(paths: ProfilePaths, drainTimeoutMs: number): Promise<string | null> {
  const answer = await hello(controlTarget(paths), HELLO_TIMEOUT_MS);
  if (!answer.ok || answer.data.supervised) return null;
  const stopped = await stopGateway(paths, { timeoutMs: drainTimeoutMs, reason: 'handing over to the service manager (gatehouse install)' });
  if (!stopped.ok) {
    throw new GatehouseError(ERROR_CODES.STOP_FAILED, `a gateway started outside the service manager (pid ${answer.data.pid}) did not stop: ${stopped.message}`);
  }
  return `stopped the gateway started outside the service manager (pid ${answer.data.pid}); the manager starts it now`;
}

export async function installService(paths: ProfilePaths, options: InstallOptions, host?: ServiceHost): Promise<ServiceOutcome> {
  const selection = await selectFor(paths, host, startNow);
  if (!selection.ok) return failed(selection.reason);
  const { service } = selection;
  let spec: ServiceSpec;
  try {
    spec = serviceSpecFor(paths, service);
  } catch (error) {
    return failed(`cannot write a service definition for this profile: ${errorMessage(error)}`, service.kind);
  }
  // A manager that cannot be reached (no user bus): fail before stopping anything or writing a file.
  const unreachable = service.backend.reachable?.() ?? null;
  if (unreachable !== null) return failed(unreachable.detail, service.kind);
  ensureProfileDirs(paths); // WorkingDirectory and the log directory must exist before the manager starts it
  const lines: string[] = [];
  if (options.start) {
    try {
      const note = await handOver(paths, drainTimeoutOrDefault(paths.config));
      if (note !== null) lines.push(note);
    } catch (error) {
      return failed(errorMessage(error), service.kind, lines);
    }
  }
  // Installing means "start it (now and/or at login)": lift a hold left by `gatehouse stop`, or the
  // Windows launcher would start nothing (service/autostart-hold.ts).
  if (releaseAutostartHold(paths.dir)) lines.push('lifted the autostart hold left by `gatehouse stop`');
  const result = await service.backend.install(spec, options);
  const status = await service.backend.status(paths.profile);
  if (!result.ok) return failed(result.detail, status.kind, lines);
  lines.push(`${status.kind}: ${result.detail}`, ...status.files.map((file) => `  ${file}`));
  const warnings: string[] = [];
  const linger = service.backend.lingerStatus?.();
  if (linger !== undefined && linger.state !== 'on') {
    warnings.push(linger.state === 'off'
      ? `linger is off: systemd stops the gateway when you log out; to keep it running: ${linger.enableCommand ?? 'loginctl enable-linger'}`
      : `${linger.detail}; carrying on`);
  }
  return { ok: true, exitCode: EXIT.OK, kind: status.kind, lines, warnings, error: null };
}

export async function uninstallService(paths: ProfilePaths, host?: ServiceHost): Promise<ServiceOutcome> {
  const selection = await selectFor(paths, host);
  if (!selection.ok) return failed(selection.reason);
  const { backend } = selection.service;
  const result = await backend.uninstall(paths.profile);
  // Nothing is left to hold once the tracks are gone (a Windows stop above may have set it).
  releaseAutostartHold(paths.dir);
  if (!result.ok) return failed(result.detail, backend.kind);
  return { ok: true, exitCode: EXIT.OK, kind: backend.kind, lines: [result.detail], warnings: [], error: null };
}
