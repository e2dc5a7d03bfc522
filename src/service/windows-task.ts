// The Scheduled Task track: the hidden JScript launcher in the profile directory, registered as a
// per-user task from XML with `schtasks` through a bounded runner. Nothing is believed without
// reading it back: schtasks (like PowerShell and tasklist) can answer exit 0 with empty output under
// restricted or emulated environments, so every /Create and /Change is followed by /Query /XML, and a
// start is confirmed only by the gateway answering (hooks.gatewayUp), never by /Run's exit status:
// under IgnoreNew, /Run is a silent no-op while an instance runs (openclaw#138833).
// schtasks prints localized text: we read only exit statuses and the XML, never messages.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readTextOrNull, writeAtomicSync } from '../fs-util.js';
import { errorMessage } from '../errors.js';
import { runBounded, type RunResult } from '../platform/spawn.js';
import type { CommandRunner } from './systemd-user.js';
import { DEFAULT_WSCRIPT, encodeTaskXml, parseTaskXml, renderTaskXml, taskName, type ParsedTask, type TaskPurpose } from './task-xml.js';
import type { InstallOptions, ParsedDefinition, ServiceBackend, ServiceResult, ServiceSpec, ServiceStatus } from './types.js';
import { ok, notOk, failedRun, registerThenStart } from './result.js';
import { LAUNCHER_FILE, parseLauncher, renderLauncher } from './windows-launcher.js';
import { renderWatchdogLauncher, WATCHDOG_LAUNCHER_FILE, watchdogTaskName } from './windows-watchdog.js';

const { mkdirSync, rmSync } = process.getBuiltinModule('node:fs');

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
  return JSON.stringify([task.definition, task.purpose, settings, task.logonUserId, task.repetitionInterval, task.repetitionDuration, task.logonType, task.runLevel]);
}

/** Poll until `probe` is true, a bounded number of times; injected sleep keeps tests instant. */
export async function pollUntil(probe: () => Promise<boolean>, boundMs: number, wait: (ms: number) => Promise<void>): Promise<boolean> {
  for (let polls = Math.ceil(boundMs / OBSERVE_POLL_MS); ; polls--) {
    if (await probe()) return true;
    if (polls <= 0) return false;
    await wait(OBSERVE_POLL_MS);
  }
}

export function createWindowsTaskBackend(options: WindowsTaskOptions): WindowsTrack {
  const run = options.run ?? runBounded;
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  const wscriptPath = options.wscriptPath ?? DEFAULT_WSCRIPT;
  const launcherFile = (profile: string): string => join(options.profileDir(profile), LAUNCHER_FILE);
  const watchdogLauncherFile = (profile: string): string => join(options.profileDir(profile), WATCHDOG_LAUNCHER_FILE);
  const schtasks = (args: readonly string[]): RunResult => run('schtasks', args, { timeoutMs: SCHTASKS_TIMEOUT_MS, env: options.env ?? process.env });
  const definitionOf = (profile: string, launcherPath = launcherFile(profile)) => ({ userId: options.userId, launcherPath, profile, wscriptPath });

  /** The registered task, read back; `absent` only on a clean non-zero exit (schtasks' "not found"). */
  const query = (name: string): { kind: 'ok'; task: ParsedTask; xml: string } | { kind: 'absent' } | { kind: 'unknown'; detail: string } => {
    const result = schtasks(['/Query', '/TN', name, '/XML']);
    if (result.timedOut || result.spawnError !== null) return { kind: 'unknown', detail: failedRun('schtasks /Query', result).detail };
    if (!result.ok) return { kind: 'absent' };
    const parsed = parseTaskXml(result.stdout);
    if (!parsed.ok) return { kind: 'unknown', detail: `schtasks /Query gave no task we can read (${parsed.reason})` };
    return { kind: 'ok', task: parsed.task, xml: result.stdout };
  };

  const enabledOf = (task: ParsedTask): boolean => task.settings['Enabled'] !== 'false';

  const setEnabled = (name: string, enabled: boolean): ServiceResult | null => {
    const result = schtasks(['/Change', '/TN', name, enabled ? '/ENABLE' : '/DISABLE']);
    if (!result.ok) return failedRun('schtasks /Change', result);
    const after = query(name);
    if (after.kind !== 'ok' || enabledOf(after.task) !== enabled) return notOk(`schtasks /Change exited 0 but the task is not ${enabled ? 'enabled' : 'disabled'}`);
    return null;
  };

  const writeIfChanged = (profile: string, path: string, text: string, notes: string[]): void => {
    if (readTextOrNull(path) === text) return;
    mkdirSync(options.profileDir(profile), { recursive: true });
    writeAtomicSync(path, text, { mode: FILE_MODE });
    notes.push(`wrote ${path}`);
  };

  /** Register one task from its XML (unless it is already so), read it back, set Enabled; notes say what changed. */
  const registerTask = (profile: string, name: string, xml: string, purpose: TaskPurpose, enabled: boolean, notes: string[]): ServiceResult | null => {
    const wanted = parseTaskXml(xml);
    if (!wanted.ok) return notOk(`rendered task does not parse: ${wanted.reason}`);
    const before = query(name);
    if (before.kind === 'ok' && comparable(before.task) === comparable(wanted.task)) notes.push(`task ${name} unchanged`);
    else {
      const file = join(options.profileDir(profile), purpose === 'gateway' ? TASK_XML_FILE : `${purpose}-${TASK_XML_FILE}`);
      writeAtomicSync(file, encodeTaskXml(xml), { mode: FILE_MODE });
      try {
        const created = schtasks(['/Create', '/TN', name, '/XML', file, '/F']);
        if (!created.ok) return failedRun('schtasks /Create', created);
      } finally {
        rmSync(file, { force: true });
      }
      const after = query(name);
      if (after.kind !== 'ok' || comparable(after.task) !== comparable(wanted.task)) {
        return notOk(`schtasks /Create exited 0 but the task cannot be read back (${after.kind === 'unknown' ? after.detail : after.kind === 'absent' ? 'not registered' : 'a different definition'})`);
      }
      notes.push(before.kind === 'ok' ? `re-registered task ${name} (it had drifted)` : `registered task ${name}`);
    }
    const current = query(name);
    return current.kind === 'ok' && enabledOf(current.task) !== enabled ? setEnabled(name, enabled) : null;
  };

  /** Delete a task if it is there; null when it is gone. */
  const deleteTask = (name: string): ServiceResult | null => {
    if (query(name).kind === 'absent') return null;
    const deleted = schtasks(['/Delete', '/TN', name, '/F']);
    if (query(name).kind === 'absent') return null;
    return deleted.ok ? notOk(`schtasks /Delete exited 0 but task ${name} is still there`) : failedRun('schtasks /Delete', deleted);
  };

  /**
   * The watchdog task beside the gateway's (windows-watchdog.ts), enabled with it. Its failure does
   * not undo the gateway's registration; the note says it plainly.
   */
  const registerWatchdog = (spec: ServiceSpec, login: boolean): string => {
    const name = watchdogTaskName(spec.profile);
    const path = watchdogLauncherFile(spec.profile);
    const notes: string[] = [];
    try {
      writeIfChanged(spec.profile, path, renderWatchdogLauncher(spec), notes);
    } catch (error) {
      return `watchdog task NOT registered: cannot write ${path}: ${errorMessage(error)}`;
    }
    const failed = registerTask(spec.profile, name, renderTaskXml(definitionOf(spec.profile, path), 'watchdog'), 'watchdog', login, notes);
    if (failed) return `watchdog task NOT registered: ${failed.detail}`;
    return `watchdog: ${notes.join(', ')} (alert --check every minute${login ? '' : '; disabled with the gateway\'s task'})`;
  };

  const track: WindowsTrack = {
    kind: 'windows-task',

    render: (spec: ServiceSpec) => [
      { path: launcherFile(spec.profile), content: renderLauncher(spec), mode: FILE_MODE, role: 'hidden JScript launcher' },
      { path: `Task Scheduler: \\${taskName(spec.profile)}`, content: encodeTaskXml(renderTaskXml(definitionOf(spec.profile))), mode: FILE_MODE, role: 'scheduled task (UTF-16LE XML)' },
      { path: watchdogLauncherFile(spec.profile), content: renderWatchdogLauncher(spec), mode: FILE_MODE, role: 'watchdog launcher (alert --check)' },
      {
        path: `Task Scheduler: \\${watchdogTaskName(spec.profile)}`, content: encodeTaskXml(renderTaskXml(definitionOf(spec.profile, watchdogLauncherFile(spec.profile)), 'watchdog')),
        mode: FILE_MODE, role: 'watchdog scheduled task (UTF-16LE XML)',
      },
    ],

    parse: (content: string | Uint8Array): ParsedDefinition => parseLauncher(typeof content === 'string' ? content : Buffer.from(content).toString('utf8')),

    async register(spec: ServiceSpec, login: boolean): Promise<ServiceResult> {
      const notes: string[] = [];
      writeIfChanged(spec.profile, launcherFile(spec.profile), renderLauncher(spec), notes);
      const failed = registerTask(spec.profile, taskName(spec.profile), renderTaskXml(definitionOf(spec.profile)), 'gateway', login, notes);
      if (failed) return failed;
      notes.push(login ? 'starts at logon' : 'disabled: not started at logon');
      notes.push(registerWatchdog(spec, login));
      return ok(notes.join('; '));
    },

    install: (spec: ServiceSpec, opts: InstallOptions): Promise<ServiceResult> => registerThenStart(track, spec, opts),

    async uninstall(profile: string): Promise<ServiceResult> {
      const failed = deleteTask(watchdogTaskName(profile)) ?? deleteTask(taskName(profile));
      if (failed) return failed;
      for (const file of [watchdogLauncherFile(profile), launcherFile(profile)]) {
        try {
          rmSync(file, { force: true });
        } catch (error) {
          return notOk(`cannot remove ${file}: ${errorMessage(error)}`);
        }
      }
      return ok(`removed task ${taskName(profile)} and its watchdog`);
    },

    isInstalled: async (profile: string) => query(taskName(profile)).kind === 'ok',
    isEnabled: async (profile: string) => {
      const current = query(taskName(profile));
      return current.kind === 'ok' && enabledOf(current.task);
    },

    async start(profile: string): Promise<ServiceResult> {
      if (await options.gatewayUp(profile)) return ok('already running');
      const current = query(taskName(profile));
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
      const current = query(taskName(profile));
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
