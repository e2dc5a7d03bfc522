// The Startup-folder track, the fallback when a Scheduled Task cannot be registered (denied by
// policy, or schtasks hangs): the same hidden JScript launcher, placed in the user's Startup folder,
// which Explorer opens with WSH at logon. It does nothing when node or gatehouse is gone (the
// launcher's FileExists guard, the seed system's `if not exist ... exit /b 0`). No manager runs it
// now or revives it, so "start now" is a regular detached start (hooks.startDetached), and a stop
// is `gatehouse stop`. With --no-login the entry is kept in the profile directory instead.
import { join } from 'node:path';
import { writeAtomicSync } from '../fs-util.js';
import { errorMessage } from '../errors.js';
import { serviceBaseName } from './spec.js';
import type { InstallOptions, ParsedDefinition, ServiceResult, ServiceSpec, ServiceStatus } from './types.js';
import { ok, notOk, registerThenStart } from './result.js';
import { parseLauncher, renderLauncher } from './windows-launcher.js';
import { readTextOrNull } from '../fs-util.js';
import type { WindowsTrack, WindowsTrackOptions } from './windows-task.js';

const { mkdirSync, rmSync } = process.getBuiltinModule('node:fs');

/** The entry's name while --no-login keeps it out of the Startup folder. */
const PARKED_FILE = 'autostart-startup-entry.js';
const FILE_MODE = 0o600;

export interface WindowsStartupOptions extends WindowsTrackOptions {
  /** %APPDATA%\Microsoft\Windows\Start Menu\Programs\Startup, injected (GATEHOUSE_STARTUP_DIR). */
  readonly startupDir: string;
}


export function createWindowsStartupBackend(options: WindowsStartupOptions): WindowsTrack {
  const entryPath = (profile: string): string => join(options.startupDir, `${serviceBaseName(profile)}.js`);
  const parkedPath = (profile: string): string => join(options.profileDir(profile), PARKED_FILE);
  const ours = (path: string): boolean => {
    const text = readTextOrNull(path);
    return text !== null && parseLauncher(text).ok;
  };

  /** Write `text` to `path` unless it is already there, then read it back. */
  const place = (dir: string, path: string, text: string): string | null => {
    if (readTextOrNull(path) === text) return null;
    mkdirSync(dir, { recursive: true });
    writeAtomicSync(path, text, { mode: FILE_MODE });
    if (readTextOrNull(path) !== text) throw new Error(`${path} does not read back as written`);
    return path;
  };

  const track: WindowsTrack = {
    kind: 'windows-startup',

    render: (spec: ServiceSpec) => [{ path: entryPath(spec.profile), content: renderLauncher(spec), mode: FILE_MODE, role: 'Startup-folder entry (hidden JScript launcher)' }],

    parse: (content: string | Uint8Array): ParsedDefinition => parseLauncher(typeof content === 'string' ? content : Buffer.from(content).toString('utf8')),

    async register(spec: ServiceSpec, login: boolean): Promise<ServiceResult> {
      const text = renderLauncher(spec);
      const [keep, drop] = login ? [entryPath(spec.profile), parkedPath(spec.profile)] : [parkedPath(spec.profile), entryPath(spec.profile)];
      try {
        const written = place(login ? options.startupDir : options.profileDir(spec.profile), keep, text);
        rmSync(drop, { force: true });
        const what = written === null ? `${keep} unchanged` : `wrote ${keep}`;
        return ok(`${what}; ${login ? 'starts at logon' : 'kept out of the Startup folder: not started at logon'}`);
      } catch (error) {
        return notOk(`cannot write the Startup entry: ${errorMessage(error)}`);
      }
    },

    install: (spec: ServiceSpec, opts: InstallOptions): Promise<ServiceResult> => registerThenStart(track, spec, opts),

    async uninstall(profile: string): Promise<ServiceResult> {
      try {
        for (const path of [entryPath(profile), parkedPath(profile)]) rmSync(path, { force: true });
      } catch (error) {
        return notOk(`cannot remove the Startup entry: ${errorMessage(error)}`);
      }
      return ok(`removed ${entryPath(profile)}`);
    },

    isInstalled: async (profile: string) => ours(entryPath(profile)) || ours(parkedPath(profile)),
    isEnabled: async (profile: string) => ours(entryPath(profile)),

    start: async (profile: string) => ((await options.gatewayUp(profile)) ? ok('already running') : options.startDetached(profile)),
    stop: async () => notOk('the Startup-folder track has no manager to stop it: use `gatehouse stop`'),
    restart: async () => notOk('the Startup-folder track has no manager to restart it: use `gatehouse restart`'),

    async status(profile: string): Promise<ServiceStatus> {
      const enabled = ours(entryPath(profile));
      const installed = enabled || ours(parkedPath(profile));
      const up = installed && (await options.gatewayUp(profile));
      return {
        kind: 'windows-startup',
        installed,
        enabled,
        state: !installed ? 'not-installed' : up ? 'running' : 'stopped',
        files: [entryPath(profile), parkedPath(profile)].filter(ours),
        detail: enabled ? `Startup entry ${entryPath(profile)}` : installed ? `entry parked at ${parkedPath(profile)} (--no-login)` : 'no Startup entry',
      };
    },
  };
  return track;
}
