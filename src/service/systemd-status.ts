// What `gatehouse status` asks of the systemd user backend: the unit's name and file, and what the
// manager says about it. Apart from the backend (systemd-user.ts, which answers its status() from
// here) so that `status`, called in loops by scripts, loads neither the unit renderer and parser,
// the quoting nor the watchdog timer; with no unit file it asks systemctl nothing, and loads neither
// the spawner nor with it the process layer (test/e2e/lean-modules.test.ts).
import { join } from 'node:path';
import { isErrnoException } from '../errors.js';
import type { RunOptions, RunResult } from '../platform/spawn.js';
import { failedRun } from './result.js';
import { serviceBaseName } from './spec.js';
import type { ServiceState, ServiceStatus } from './types.js';

const { readFileSync } = process.getBuiltinModule('node:fs');

/** Queries for `status`: a wedged user bus must not hold `gatehouse status` for long. */
export const SYSTEMCTL_QUERY_TIMEOUT_MS = 5_000;

export type CommandRunner = (command: string, args: readonly string[], options: RunOptions) => RunResult;

/** Where the backend keeps a profile's unit, and how it reaches `systemctl --user`. */
export interface SystemdUnitPlace {
  /** `$XDG_CONFIG_HOME/systemd/user` (systemdUserDir()). */
  readonly unitDir: string;
  readonly run?: CommandRunner;
  /** Environment of systemctl calls (XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS). */
  readonly env?: NodeJS.ProcessEnv;
}

export function systemdUnitName(profile: string): string {
  return `${serviceBaseName(profile)}.service`;
}

/** `$XDG_CONFIG_HOME/systemd/user`, default `~/.config/systemd/user`: both injected by the caller. */
export function systemdUserDir(xdgConfigHome: string): string {
  return join(xdgConfigHome, 'systemd', 'user');
}

export function systemdUnitPath(place: SystemdUnitPlace, profile: string): string {
  return join(place.unitDir, systemdUnitName(profile));
}

/** The installed unit's text, or null when there is none. */
export function readSystemdUnit(place: SystemdUnitPlace, profile: string): string | null {
  try {
    return readFileSync(systemdUnitPath(place, profile), 'utf8');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return null;
    throw error;
  }
}

export async function systemdServiceStatus(place: SystemdUnitPlace, profile: string): Promise<ServiceStatus> {
  const name = systemdUnitName(profile);
  const unitPath = systemdUnitPath(place, profile);
  const installed = readSystemdUnit(place, profile) !== null;
  // Nothing to ask the manager about a unit we never wrote, and `status` stays a process lighter.
  if (!installed) return { kind: 'systemd-user', installed, enabled: false, state: 'not-installed', files: [], detail: `no unit file ${unitPath}` };
  const run = place.run ?? (await import('../platform/spawn.js')).runBounded;
  const result = run('systemctl', ['--user', 'show', name, '--property=ActiveState,SubState,UnitFileState,MainPID'], { timeoutMs: SYSTEMCTL_QUERY_TIMEOUT_MS, env: place.env ?? process.env });
  const props = new Map(result.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const active = props.get('ActiveState');
  const state: ServiceState = !result.ok || active === undefined ? 'unknown'
    : active === 'active' || active === 'reloading' || active === 'deactivating' ? 'running' : 'stopped';
  return {
    kind: 'systemd-user',
    installed,
    enabled: props.get('UnitFileState') === 'enabled',
    state,
    files: [unitPath],
    detail: result.ok ? [...props].map(([k, v]) => `${k}=${v}`).join(' ') : failedRun('systemctl show', result).detail,
  };
}
