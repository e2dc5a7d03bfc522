// The systemd user-unit backend: writes the unit into an injected directory and drives
// `systemctl --user` through a bounded runner. Decisions come from files and exit statuses and the
// machine-readable `systemctl show` output, never from message text.
import { join } from 'node:path';
import { writeAtomicSync } from '../fs-util.js';
import { errorMessage } from '../errors.js';
import { runBounded, type RunResult } from '../platform/spawn.js';
import type { InstallOptions, LingerStatus, ServiceBackend, ServiceResult, ServiceSpec, ServiceStatus } from './types.js';
import { ok, failedRun } from './result.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, stopTimeoutSeconds } from './spec.js';
import { readSystemdUnit, systemdServiceStatus, systemdUnitName, systemdUnitPath, SYSTEMCTL_QUERY_TIMEOUT_MS, type CommandRunner } from './systemd-status.js';
import { parseSystemdUnit, parseUnitFile, renderSystemdUnit, unitValue } from './systemd-unit.js';
import { renderWatchdogService, renderWatchdogTimer, WATCHDOG_INTERVAL_S, watchdogServiceName, watchdogTimerName } from './systemd-watchdog.js';

export { SYSTEMCTL_QUERY_TIMEOUT_MS, type CommandRunner } from './systemd-status.js';

const { existsSync, mkdirSync, readFileSync, rmSync } = process.getBuiltinModule('node:fs');

/** Any systemctl call but a stop: reload, enable and start return once the job is queued or done. */
export const SYSTEMCTL_TIMEOUT_MS = 30_000;
/** A stop waits for the drain: the unit's TimeoutStopSec plus this. */
const STOP_CALL_MARGIN_MS = 10_000;
const MS_PER_SECOND = 1_000;
const UNIT_FILE_MODE = 0o644;
export const DEFAULT_LINGER_DIR = '/var/lib/systemd/linger';

export interface SystemdUserOptions {
  /** `$XDG_CONFIG_HOME/systemd/user` (systemdUserDir()): never defaulted here, so tests cannot miss it. */
  readonly unitDir: string;
  readonly run?: CommandRunner;
  /** Environment of systemctl calls (XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where logind records lingering users; linger keeps the manager running without a login. */
  readonly lingerDir?: string;
  readonly user?: string;
}



export function createSystemdUserBackend(options: SystemdUserOptions): ServiceBackend & { linger(): string; lingerStatus(): LingerStatus; reachable(): ServiceResult | null } {
  const run = options.run ?? runBounded;
  const unitPath = (profile: string): string => systemdUnitPath(options, profile);
  const systemctl = (args: readonly string[], timeoutMs = SYSTEMCTL_TIMEOUT_MS): RunResult =>
    run('systemctl', ['--user', ...args], { timeoutMs, env: options.env ?? process.env });
  const readUnit = (profile: string): string | null => readSystemdUnit(options, profile);

  /** How long `systemctl stop` may block: the installed unit's own stop deadline, plus a margin. */
  const stopCallTimeoutMs = (profile: string): number => {
    const text = readUnit(profile);
    let seconds = stopTimeoutSeconds(DEFAULT_DRAIN_TIMEOUT_MS);
    try {
      const value = text === null ? undefined : Number(unitValue(parseUnitFile(text), 'Service', 'TimeoutStopSec'));
      if (value !== undefined && Number.isFinite(value)) seconds = value;
    } catch {
      // A unit we cannot parse still gets stopped, with the default deadline.
    }
    return seconds * MS_PER_SECOND + STOP_CALL_MARGIN_MS;
  };

  const isActive = (profile: string): boolean => systemctl(['is-active', '--quiet', systemdUnitName(profile)]).ok;

  /** One call; returns the failure to report, or null when it succeeded. */
  const step = (what: string, args: readonly string[], timeoutMs?: number): ServiceResult | null => {
    const result = systemctl(args, timeoutMs);
    return result.ok ? null : failedRun(what, result);
  };

  /** null when `systemctl --user` reaches the user manager; else why not, and what to do. */
  const managerUnreachable = (): ServiceResult | null => {
    const result = systemctl(['show', '--property=Version'], SYSTEMCTL_QUERY_TIMEOUT_MS);
    if (result.ok) return null;
    const env = options.env ?? process.env;
    const where = `XDG_RUNTIME_DIR=${env['XDG_RUNTIME_DIR'] ?? '(unset)'}, DBUS_SESSION_BUS_ADDRESS=${env['DBUS_SESSION_BUS_ADDRESS'] ?? '(unset)'}`;
    const failed = failedRun('systemctl --user cannot reach the systemd user manager', result);
    return { ...failed, detail: `${failed.detail} (${where}); nothing was written. Run it in the user's own login session (not through sudo or su), or turn lingering on (loginctl enable-linger) and set XDG_RUNTIME_DIR=/run/user/$(id -u)` };
  };

  /** Restore the unit file as it was before this install (or remove it), and say so. */
  const rollBack = (profile: string, before: string | null, failure: ServiceResult): ServiceResult => {
    try {
      if (before === null) rmSync(unitPath(profile), { force: true });
      else writeAtomicSync(unitPath(profile), before, { mode: UNIT_FILE_MODE });
      return { ...failure, detail: `${failure.detail}; ${before === null ? `removed ${unitPath(profile)} again` : `restored the previous ${unitPath(profile)}`}` };
    } catch (error) {
      return { ...failure, detail: `${failure.detail}; and could not roll ${unitPath(profile)} back: ${errorMessage(error)}` };
    }
  };

  const watchdogFiles = (spec: ServiceSpec): Array<{ path: string; content: string; role: string }> => [
    { path: join(options.unitDir, watchdogServiceName(spec.profile)), content: renderWatchdogService(spec), role: 'systemd watchdog service (alert --check)' },
    { path: join(options.unitDir, watchdogTimerName(spec.profile)), content: renderWatchdogTimer(spec), role: 'systemd watchdog timer' },
  ];

  /**
   * The watchdog timer beside the unit: written, loaded, enabled and started like the unit. Its
   * failure does not undo the gateway's install; the note says it plainly.
   */
  const installWatchdog = (spec: ServiceSpec, opts: InstallOptions): string => {
    const timer = watchdogTimerName(spec.profile);
    let changed = false;
    try {
      for (const file of watchdogFiles(spec)) {
        if (existsSync(file.path) && readFileSync(file.path, 'utf8') === file.content) continue;
        writeAtomicSync(file.path, file.content, { mode: UNIT_FILE_MODE });
        changed = true;
      }
    } catch (error) {
      return `watchdog timer NOT installed: ${errorMessage(error)}`;
    }
    const failed = (changed ? step('daemon-reload', ['daemon-reload']) : null)
      ?? (opts.login ? step(`enable ${timer}`, ['enable', timer]) : null)
      ?? (opts.start || opts.login ? step(`start ${timer}`, ['start', timer]) : null);
    if (failed) return `watchdog timer NOT active: ${failed.detail}`;
    return opts.start || opts.login ? `watchdog ${timer} active (alert --check every ${WATCHDOG_INTERVAL_S} s)` : `watchdog ${timer} installed`;
  };

  const removeWatchdog = (profile: string): ServiceResult | null => {
    const timer = watchdogTimerName(profile);
    const files = [join(options.unitDir, timer), join(options.unitDir, watchdogServiceName(profile))];
    if (!files.some((f) => existsSync(f))) return null;
    const failed = step(`disable --now ${timer}`, ['disable', '--now', timer]);
    if (failed) return failed;
    for (const file of files) rmSync(file, { force: true });
    return null;
  };

  const backend = {
    kind: 'systemd-user' as const,

    render: (spec: ServiceSpec) => [
      { path: unitPath(spec.profile), content: renderSystemdUnit(spec), mode: UNIT_FILE_MODE, role: 'systemd user unit' },
      ...watchdogFiles(spec).map((f) => ({ ...f, mode: UNIT_FILE_MODE })),
    ],

    parse: (content: string | Uint8Array) => parseSystemdUnit(typeof content === 'string' ? content : Buffer.from(content).toString('utf8')),

    async install(spec: ServiceSpec, opts: InstallOptions): Promise<ServiceResult> {
      const name = systemdUnitName(spec.profile);
      const text = renderSystemdUnit(spec);
      // Ask the manager first: with the user bus unreachable (no session: ssh, sudo, a container)
      // nothing is written, so there is no unit file that no manager ever loaded.
      const unreachable = managerUnreachable();
      if (unreachable !== null) return unreachable;
      const before = readUnit(spec.profile);
      const changed = before !== text;
      const notes: string[] = [];
      if (changed) {
        mkdirSync(options.unitDir, { recursive: true });
        writeAtomicSync(unitPath(spec.profile), text, { mode: UNIT_FILE_MODE });
        notes.push(before === null ? `wrote ${unitPath(spec.profile)}` : `rewrote ${unitPath(spec.profile)} (it had drifted)`);
      } else notes.push('unit unchanged');
      const wasActive = isActive(spec.profile);
      const registered = step('daemon-reload', ['daemon-reload']) ?? (opts.login ? step('enable', ['enable', name]) : step('disable', ['disable', name]));
      // The manager would not take it (it went away since, or refused): put the old file back.
      if (registered) return changed ? rollBack(spec.profile, before, registered) : registered;
      const failed = opts.start ? step('start', [changed && wasActive ? 'restart' : 'start', name], stopCallTimeoutMs(spec.profile)) : null;
      if (failed) return failed;
      notes.push(opts.login ? 'enabled at login' : 'not enabled at login');
      if (opts.start) {
        // Observe, do not assume: the manager must report the unit active now.
        if (!isActive(spec.profile)) return { ok: false, exitCode: null, timedOut: false, detail: `${name} is not active after start` };
        notes.push(changed && wasActive ? 'restarted with the new definition' : wasActive ? 'already running' : 'started');
      }
      notes.push(installWatchdog(spec, opts));
      return ok(notes.join('; '));
    },

    async uninstall(profile: string): Promise<ServiceResult> {
      const name = systemdUnitName(profile);
      const path = unitPath(profile);
      const watchdogFailed = removeWatchdog(profile);
      if (watchdogFailed) return watchdogFailed;
      if (existsSync(path)) {
        const failed = step('disable --now', ['disable', '--now', name], stopCallTimeoutMs(profile));
        if (failed) return failed;
        try {
          rmSync(path, { force: true });
        } catch (error) {
          return { ok: false, exitCode: null, timedOut: false, detail: `cannot remove ${path}: ${errorMessage(error)}` };
        }
      }
      const failed = step('daemon-reload', ['daemon-reload']);
      if (failed) return failed;
      // Forgets a failed state of the removed unit; fails harmlessly when there is none.
      systemctl(['reset-failed', name]);
      return ok(`removed ${name}`);
    },

    isInstalled: async (profile: string) => {
      const text = readUnit(profile);
      return text !== null && parseSystemdUnit(text).ok;
    },

    isEnabled: async (profile: string) => systemctl(['is-enabled', '--quiet', systemdUnitName(profile)]).ok,

    start: async (profile: string) => step('start', ['start', systemdUnitName(profile)]) ?? ok('started'),
    stop: async (profile: string) => step('stop', ['stop', systemdUnitName(profile)], stopCallTimeoutMs(profile)) ?? ok('stopped'),
    restart: async (profile: string) => step('restart', ['restart', systemdUnitName(profile)], stopCallTimeoutMs(profile)) ?? ok('restarted'),

    status: (profile: string): Promise<ServiceStatus> => systemdServiceStatus({ ...options, run }, profile),

    reachable: managerUnreachable,

    /** One line on lingering: without it, the user manager (and the gateway) stops at logout. */
    linger: (): string => backend.lingerStatus().detail,

    /** Read from logind's linger directory: `loginctl` needs the system bus, which may be absent. */
    lingerStatus(): LingerStatus {
      const user = options.user ?? process.env['USER'];
      if (user === undefined) return { state: 'unknown', detail: 'linger: unknown user, not checked' };
      const dir = options.lingerDir ?? DEFAULT_LINGER_DIR;
      if (!existsSync(dir)) return { state: 'unknown', detail: `linger: cannot check (${dir} does not exist)` };
      const enableCommand = `loginctl enable-linger ${user}`;
      return existsSync(join(dir, user))
        ? { state: 'on', detail: 'linger: on (runs without a login session)' }
        : { state: 'off', detail: `linger: off (stops at logout); to keep it running: ${enableCommand}`, enableCommand };
    },
  };
  return backend;
}
