// The one place that chooses the autostart backend, and the one module of service/ that reads
// process.platform. Every directory a backend writes to comes from the environment here, so tests
// (and users) point them elsewhere: XDG_CONFIG_HOME for systemd, GATEHOUSE_LAUNCH_AGENTS_DIR for
// launchd, GATEHOUSE_STARTUP_DIR for the Windows Startup folder.
// Each platform's backend is imported only on that platform: `status` asks the service on every
// call, and loading the other platforms' renderers and quoting would be most of its start time.
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { CommandRunner } from './systemd-status.js';
import type { ServiceBackend, ServiceKind, ServiceResult, ServiceStatus } from './types.js';

/** Environment variables that move a backend's directory (documented in README "Autostart"). */
export const SERVICE_DIR_ENV = {
  /** systemd: units go to $XDG_CONFIG_HOME/systemd/user (default ~/.config/systemd/user). */
  XDG_CONFIG_HOME: 'XDG_CONFIG_HOME',
  /** launchd: the LaunchAgents directory (default ~/Library/LaunchAgents). */
  LAUNCH_AGENTS_DIR: 'GATEHOUSE_LAUNCH_AGENTS_DIR',
  /** launchd: where launchd writes the monitor's stdout/stderr (default ~/Library/Logs/gatehouse). */
  MAC_LOG_DIR: 'GATEHOUSE_MAC_LOG_DIR',
  /** Windows: the Startup folder of the fallback track (default %APPDATA%\...\Startup). */
  STARTUP_DIR: 'GATEHOUSE_STARTUP_DIR',
} as const;

/** What the Windows tracks need from the control layer: they cannot observe the gateway themselves. */
export interface GatewayHooks {
  /** The profile's directory (the launcher and the track manifest live there). */
  profileDir(profile: string): string;
  /** Does the profile's gateway answer on its control endpoint right now? */
  gatewayUp(profile: string): Promise<boolean>;
  /** Start the gateway now without the task (the Startup track, or a task disabled by --no-login). */
  startDetached(profile: string): Promise<ServiceResult>;
  /**
   * Stop the gateway an autostart track runs (drained over its control endpoint, escalating by
   * identity), before uninstall removes the tracks: deleting a task does not end its running
   * instance, and nothing else would. A gateway started by hand is left running; the detail says so.
   */
  stopAutostarted(profile: string): Promise<ServiceResult>;
}

export interface ServiceHost {
  readonly platform: NodeJS.Platform;
  readonly env: NodeJS.ProcessEnv;
  readonly userHome: string;
  readonly user: string;
  readonly uid: number;
  /** Tests inject a stateful fake of systemctl/launchctl/schtasks; default runBounded. */
  readonly run?: CommandRunner;
}

export function currentHost(): ServiceHost {
  return { platform: process.platform, env: process.env, userHome: homedir(), user: userInfo().username, uid: process.getuid?.() ?? -1 };
}

export interface SelectedService {
  readonly backend: ServiceBackend;
  /** The kind a fresh install writes (Windows may fall back to windows-startup). */
  readonly kind: ServiceKind;
  /** Where the manager captures the monitor's stdout/stderr for this profile. */
  logDir(profileLogDir: string): string;
  /**
   * The manager `gatehouse start` (and a respawn) goes through for this profile when its service is
   * installed, so that the manager's monitor is the only one: systemd and launchd, which restart a
   * monitor that dies and would fight one started beside them; on Windows the Task Scheduler when
   * the task track is installed and enabled, so that the monitor runs under the task's launcher
   * (which honours a full restart, exit 75). null where `start` spawns: the Startup-folder track
   * (nothing can run it but a logon) or a task disabled with --no-login.
   */
  startsThrough(profile: string): Promise<string | null>;
}

export type Selection = { readonly ok: true; readonly service: SelectedService } | { readonly ok: false; readonly reason: string };

/** What `status` asks of a profile's autostart: which backend, and its status of a profile. */
export type StatusSelection =
  | { readonly ok: true; readonly kind: ServiceKind; status(profile: string): Promise<ServiceStatus> }
  | { readonly ok: false; readonly reason: string };

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value);

const xdgConfigHome = (host: ServiceHost): string => nonEmpty(host.env[SERVICE_DIR_ENV.XDG_CONFIG_HOME]) ?? join(host.userHome, '.config');

/**
 * The backend's status() without the backend where that is cheaper: on Linux systemd-status.ts
 * alone (the backend answers from it too), not the unit renderer, parser and quoting; elsewhere the
 * selected backend's own.
 */
export async function selectServiceStatus(hooks: GatewayHooks, host: ServiceHost = currentHost()): Promise<StatusSelection> {
  if (host.platform === 'linux') {
    const { systemdServiceStatus, systemdUserDir } = await import('./systemd-status.js');
    const place = { unitDir: systemdUserDir(xdgConfigHome(host)), env: host.env, ...(host.run === undefined ? {} : { run: host.run }) };
    return { ok: true, kind: 'systemd-user', status: (profile) => systemdServiceStatus(place, profile) };
  }
  const selection = await selectService(hooks, host);
  if (!selection.ok) return selection;
  const { backend, kind } = selection.service;
  return { ok: true, kind, status: (profile) => backend.status(profile) };
}

export async function selectService(hooks: GatewayHooks, host: ServiceHost = currentHost()): Promise<Selection> {
  const env = host.env;
  const runner = host.run === undefined ? {} : { run: host.run };
  switch (host.platform) {
    case 'linux': {
      const [{ createSystemdUserBackend }, { systemdUserDir }] = await Promise.all([import('./systemd-user.js'), import('./systemd-status.js')]);
      const backend = createSystemdUserBackend({ unitDir: systemdUserDir(xdgConfigHome(host)), user: host.user, env, ...runner });
      return { ok: true, service: { backend, kind: backend.kind, logDir: (profileLogDir) => profileLogDir, startsThrough: async () => 'systemd' } };
    }
    case 'darwin': {
      const [{ createLaunchdBackend }, { macLogDir }] = await Promise.all([import('./launchd.js'), import('./launchd-plist.js')]);
      const agentsDir = nonEmpty(env[SERVICE_DIR_ENV.LAUNCH_AGENTS_DIR]) ?? join(host.userHome, 'Library', 'LaunchAgents');
      const logDir = nonEmpty(env[SERVICE_DIR_ENV.MAC_LOG_DIR]) ?? macLogDir(host.userHome);
      const backend = createLaunchdBackend({ agentsDir, uid: host.uid, env, ...runner });
      return { ok: true, service: { backend, kind: backend.kind, logDir: () => logDir, startsThrough: async () => 'launchd' } };
    }
    case 'win32': {
      const [{ createWindowsBackend }, { createWindowsStartupBackend }, { createWindowsTaskBackend, TASK_SCHEDULER }, { windowsAutostartInstalled }] =
        await Promise.all([import('./windows.js'), import('./windows-startup.js'), import('./windows-task.js'), import('./autostart-hold.js')]);
      const appData = nonEmpty(env['APPDATA']) ?? join(host.userHome, 'AppData', 'Roaming');
      const startupDir = nonEmpty(env[SERVICE_DIR_ENV.STARTUP_DIR]) ?? join(appData, 'Microsoft', 'Windows', 'Start Menu', 'Programs', 'Startup');
      const domain = nonEmpty(env['USERDOMAIN']);
      const userId = domain === undefined ? host.user : `${domain}\\${host.user}`;
      const task = createWindowsTaskBackend({ userId, profileDir: hooks.profileDir, gatewayUp: hooks.gatewayUp, startDetached: hooks.startDetached, env, ...runner });
      const startup = createWindowsStartupBackend({ startupDir, profileDir: hooks.profileDir, gatewayUp: hooks.gatewayUp, startDetached: hooks.startDetached });
      const backend = createWindowsBackend({ task, startup, profileDir: hooks.profileDir, stopAutostarted: hooks.stopAutostarted });
      // Asked only when this profile's files say a Windows track is installed: a start with no
      // autostart must not wait for schtasks (nor, under Wine, have a child in libuv's job first).
      const startsThrough = async (profile: string): Promise<string | null> => (
        windowsAutostartInstalled(hooks.profileDir(profile)) && (await backend.activeTrack(profile)) === 'windows-task' && (await task.isEnabled(profile)) ? TASK_SCHEDULER : null);
      return { ok: true, service: { backend, kind: backend.kind, logDir: (profileLogDir) => profileLogDir, startsThrough } };
    }
    default:
      return { ok: false, reason: `autostart is not available on ${host.platform} (supported: linux with systemd, macOS, Windows)` };
  }
}
