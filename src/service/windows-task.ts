// The Scheduled Task track: the hidden JScript launcher in the profile directory, registered as a
// per-user task from XML with `schtasks` through a bounded runner. Nothing is believed without
// reading it back: schtasks (like PowerShell and tasklist) can answer exit 0 with empty output under
// restricted or emulated environments, so every /Create and /Change is followed by /Query /XML, and a
// start is confirmed only by the gateway answering (hooks.gatewayUp), never by /Run's exit status:
// under IgnoreNew, /Run is a silent no-op while an instance runs (openclaw#138833).
// schtasks prints localized text: we read only exit statuses and the XML, never messages.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeAtomicSync } from '../fs-util.js';
import { errorMessage, isErrnoException } from '../errors.js';
import { runBounded, type RunResult } from '../platform/spawn.js';
import type { CommandRunner } from './systemd-user.js';
import { DEFAULT_WSCRIPT, encodeTaskXml, parseTaskXml, renderTaskXml, taskName, type ParsedTask } from './task-xml.js';
import type { InstallOptions, ParsedDefinition, ServiceBackend, ServiceResult, ServiceSpec, ServiceStatus } from './types.js';
import { ok, notOk, failedRun, registerThenStart } from './result.js';
import { LAUNCHER_FILE, parseLauncher, renderLauncher } from './windows-launcher.js';

/** The manager's name, as `start` reports it ("started through the Task Scheduler"). */
export const TASK_SCHEDULER = 'the Task Scheduler';
/** Any schtasks call: registration has been seen to hang for minutes on locked-down machines. */
export const SCHTASKS_TIMEOUT_MS = 20_000;
/** How long a /Run may take to produce a gateway that answers. */
export const START_OBSERVE_MS = 30_000;
export const OBSERVE_POLL_MS = 250;
const TASK_XML_FILE = 'autostart-task.xml';
const FILE_MODE = 0o600;

export interface WindowsTrackOptions {
  readonly profileDir: (profile: string) => string;
  readonly gatewayUp: (profile: string) => Promise<boolean>;
  readonly startDetached: (profile: string) => Promise<ServiceResult>;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface WindowsTaskOptions extends WindowsTrackOptions {
  /** The logon trigger's and principal's user, e.g. `DESKTOP-1\ana`. */
  readonly userId: string;
  readonly wscriptPath?: string;
  readonly run?: CommandRunner;
  readonly env?: NodeJS.ProcessEnv;
}

/** A track the Windows backend can register without starting, to fall back when that fails. */
export interface WindowsTrack extends ServiceBackend {
  /** Write and register the definition (enabled at login or not); does not start anything. */
  register(spec: ServiceSpec, login: boolean): Promise<ServiceResult>;
}



/** What a drift check compares: the definition and every setting but Enabled (that is --no-login). */
function comparable(task: ParsedTask): string {
  const { Enabled: _enabled, ...settings } = task.settings;
  return JSON.stringify([task.definition, settings, task.logonUserId, task.repetitionInterval, task.repetitionDuration, task.logonType, task.runLevel]);
}

/** Poll until `probe` is true, a bounded number of times; injected sleep keeps tests instant. */
export async function pollUntil(probe: () => Promise<boolean>, boundMs: number, wait: (ms: number) => Promise<void>): Promise<boolean> {
  for (let polls = Math.ceil(boundMs / OBSERVE_POLL_MS); ; polls--) {
    if (await probe()) return true;
    if (polls <= 0) return false;
    await wait(OBSERVE_POLL_MS);
  }
}

export function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return null;
    throw error;
  }
}

export function createWindowsTaskBackend(options: WindowsTaskOptions): WindowsTrack {
  const run = options.run ?? runBounded;
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  const wscriptPath = options.wscriptPath ?? DEFAULT_WSCRIPT;
  const launcherFile = (profile: string): string => join(options.profileDir(profile), LAUNCHER_FILE);
  const schtasks = (args: readonly string[]): RunResult => run('schtasks', args, { timeoutMs: SCHTASKS_TIMEOUT_MS, env: options.env ?? process.env });
  const definitionOf = (profile: string) => ({ userId: options.userId, launcherPath: launcherFile(profile), profile, wscriptPath });

  /** The registered task, read back; `absent` only on a clean non-zero exit (schtasks' "not found"). */
  const query = (profile: string): { kind: 'ok'; task: ParsedTask; xml: string } | { kind: 'absent' } | { kind: 'unknown'; detail: string } => {
    const result = schtasks(['/Query', '/TN', taskName(profile), '/XML']);
    if (result.timedOut || result.spawnError !== null) return { kind: 'unknown', detail: failedRun('schtasks /Query', result).detail };
    if (!result.ok) return { kind: 'absent' };
    const parsed = parseTaskXml(result.stdout);
    if (!parsed.ok) return { kind: 'unknown', detail: `schtasks /Query gave no task we can read (${parsed.reason})` };
    return { kind: 'ok', task: parsed.task, xml: result.stdout };
  };

  const enabledOf = (task: ParsedTask): boolean => task.settings['Enabled'] !== 'false';

  const setEnabled = (profile: string, enabled: boolean): ServiceResult | null => {
    const result = schtasks(['/Change', '/TN', taskName(profile), enabled ? '/ENABLE' : '/DISABLE']);
    if (!result.ok) return failedRun('schtasks /Change', result);
    const after = query(profile);
    if (after.kind !== 'ok' || enabledOf(after.task) !== enabled) return notOk(`schtasks /Change exited 0 but the task is not ${enabled ? 'enabled' : 'disabled'}`);
    return null;
  };

  const track: WindowsTrack = {
    kind: 'windows-task',

    render: (spec: ServiceSpec) => [
      { path: launcherFile(spec.profile), content: renderLauncher(spec), mode: FILE_MODE, role: 'hidden JScript launcher' },
      { path: `Task Scheduler: \\${taskName(spec.profile)}`, content: encodeTaskXml(renderTaskXml(definitionOf(spec.profile))), mode: FILE_MODE, role: 'scheduled task (UTF-16LE XML)' },
    ],

    parse: (content: string | Uint8Array): ParsedDefinition => parseLauncher(typeof content === 'string' ? content : Buffer.from(content).toString('utf8')),

    async register(spec: ServiceSpec, login: boolean): Promise<ServiceResult> {
      const notes: string[] = [];
      const launcher = renderLauncher(spec);
      const path = launcherFile(spec.profile);
      if (readTextOrNull(path) !== launcher) {
        mkdirSync(options.profileDir(spec.profile), { recursive: true });
        writeAtomicSync(path, launcher, { mode: FILE_MODE });
        notes.push(`wrote ${path}`);
      }
      const xml = renderTaskXml(definitionOf(spec.profile));
      const wanted = parseTaskXml(xml);
      if (!wanted.ok) return notOk(`rendered task does not parse: ${wanted.reason}`);
      const before = query(spec.profile);
      if (before.kind === 'ok' && comparable(before.task) === comparable(wanted.task)) notes.push('task unchanged');
      else {
        const file = join(options.profileDir(spec.profile), TASK_XML_FILE);
        writeAtomicSync(file, encodeTaskXml(xml), { mode: FILE_MODE });
        try {
          const created = schtasks(['/Create', '/TN', taskName(spec.profile), '/XML', file, '/F']);
          if (!created.ok) return failedRun('schtasks /Create', created);
        } finally {
          rmSync(file, { force: true });
        }
        const after = query(spec.profile);
        if (after.kind !== 'ok' || comparable(after.task) !== comparable(wanted.task)) {
          return notOk(`schtasks /Create exited 0 but the task cannot be read back (${after.kind === 'unknown' ? after.detail : after.kind === 'absent' ? 'not registered' : 'a different definition'})`);
        }
        notes.push(before.kind === 'ok' ? `re-registered task ${taskName(spec.profile)} (it had drifted)` : `registered task ${taskName(spec.profile)}`);
      }
      const current = query(spec.profile);
      if (current.kind === 'ok' && enabledOf(current.task) !== login) {
        const failed = setEnabled(spec.profile, login);
        if (failed) return failed;
      }
      notes.push(login ? 'starts at logon' : 'disabled: not started at logon');
      return ok(notes.join('; '));
    },

    install: (spec: ServiceSpec, opts: InstallOptions): Promise<ServiceResult> => registerThenStart(track, spec, opts),

    async uninstall(profile: string): Promise<ServiceResult> {
      const before = query(profile);
      if (before.kind !== 'absent') {
        const deleted = schtasks(['/Delete', '/TN', taskName(profile), '/F']);
        const after = query(profile);
        if (after.kind !== 'absent') return deleted.ok ? notOk(`schtasks /Delete exited 0 but task ${taskName(profile)} is still there`) : failedRun('schtasks /Delete', deleted);
      }
      try {
        rmSync(launcherFile(profile), { force: true });
      } catch (error) {
        return notOk(`cannot remove ${launcherFile(profile)}: ${errorMessage(error)}`);
      }
      return ok(`removed task ${taskName(profile)}`);
    },

    isInstalled: async (profile: string) => query(profile).kind === 'ok',
    isEnabled: async (profile: string) => {
      const current = query(profile);
      return current.kind === 'ok' && enabledOf(current.task);
    },

    async start(profile: string): Promise<ServiceResult> {
      if (await options.gatewayUp(profile)) return ok('already running');
      const current = query(profile);
      // A disabled task cannot be run; --no-login still starts now, without the task.
      if (current.kind === 'ok' && !enabledOf(current.task)) return options.startDetached(profile);
      const result = schtasks(['/Run', '/TN', taskName(profile)]);
      if (!result.ok) return failedRun('schtasks /Run', result);
      if (await pollUntil(() => options.gatewayUp(profile), START_OBSERVE_MS, wait)) return ok('started by the task');
      return notOk(
        `schtasks /Run exited 0 but no gateway answered within ${START_OBSERVE_MS / 1000} s. Under IgnoreNew /Run does nothing while an instance of the task runs: ` +
        `end it (schtasks /End /TN ${taskName(profile)}) and start again`,
      );
    },

    async stop(profile: string): Promise<ServiceResult> {
      // Ends the launcher; the monitor notices its launcher is gone and drains (issue 4).
      const result = schtasks(['/End', '/TN', taskName(profile)]);
      return result.ok ? ok('ended the task instance') : failedRun('schtasks /End', result);
    },

    async restart(profile: string): Promise<ServiceResult> {
      const stopped = await track.stop(profile);
      if (!stopped.ok) return stopped;
      await pollUntil(async () => !(await options.gatewayUp(profile)), START_OBSERVE_MS, wait);
      return track.start(profile);
    },

    async status(profile: string): Promise<ServiceStatus> {
      const current = query(profile);
      const installed = current.kind === 'ok';
      // Running comes from the gateway itself: the task's own state is only in localized text.
      const up = installed && (await options.gatewayUp(profile));
      return {
        kind: 'windows-task',
        installed,
        enabled: installed && enabledOf(current.task),
        state: current.kind === 'unknown' ? 'unknown' : !installed ? 'not-installed' : up ? 'running' : 'stopped',
        files: installed ? [launcherFile(profile), `Task Scheduler: \\${taskName(profile)}`] : [],
        detail: current.kind === 'ok' ? `task ${taskName(profile)}: ${enabledOf(current.task) ? 'enabled' : 'disabled'}, runs ${current.task.definition.wscriptPath} ${current.task.definition.launcherPath}`
          : current.kind === 'absent' ? `no task ${taskName(profile)}` : current.detail,
      };
    },
  };
  return track;
}
