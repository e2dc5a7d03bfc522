// The macOS LaunchAgent backend: writes the plist into an injected LaunchAgents directory and drives
// `launchctl` in the gui/<uid> domain through a bounded runner. Decisions come from exit statuses
// and `launchctl print` (key = value lines; launchctl is not localized), observed after each change.
// Known failures handled (issue 4):
// - `bootstrap` exits 5 (EIO) when the previous instance is still being torn down after a bootout,
//   or when the job is already loaded: look (print) before retrying, a bounded number of times.
// - `bootstrap` exits 125 when there is no GUI session (ssh, a build agent): the agent is installed
//   and starts at the next login, but it was not started, and we say so instead of claiming it.
// - `bootstrap` of a disabled label fails (119): enable before bootstrap, disable afterwards.
// A stop is a bootout, not `launchctl kill SIGTERM`: bootout sends the same SIGTERM (the monitor
// drains) and unloads the job, so KeepAlive cannot relaunch it; a SIGTERM alone is a stray signal
// to the monitor, which exits 143 so that KeepAlive {SuccessfulExit: false} brings it back.
import { setTimeout as sleep } from 'node:timers/promises';
import { readTextOrNull, writeAtomicSync } from '../fs-util.js';
import { errorMessage } from '../errors.js';
import { runBounded, type RunResult } from '../platform/spawn.js';
import { launchAgentPath, launchdLabel, parseLaunchAgent, renderLaunchAgent } from './launchd-plist.js';
import { renderWatchdogAgent, watchdogAgentPath, watchdogLabel } from './launchd-watchdog.js';
import { WATCHDOG_INTERVAL_S } from './systemd-watchdog.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, stopTimeoutSeconds } from './spec.js';
import type { CommandRunner } from './systemd-user.js';
import type { InstallOptions, ServiceBackend, ServiceResult, ServiceSpec, ServiceStatus } from './types.js';
import { ok, notOk, failedRun } from './result.js';

const { existsSync, mkdirSync, rmSync } = process.getBuiltinModule('node:fs');

export const LAUNCHCTL_TIMEOUT_MS = 30_000;
/** `print` is a query (status polls it): a short bound. */
export const LAUNCHCTL_QUERY_TIMEOUT_MS = 5_000;
/** Bootstrap attempts while a previous instance is being torn down (error 5). */
export const BOOTSTRAP_ATTEMPTS = 5;
export const BOOTSTRAP_RETRY_MS = 1_000;
/** How long a start may take to show `state = running`, and a bootout to leave the domain. */
export const OBSERVE_TIMEOUT_MS = 10_000;
const OBSERVE_POLL_MS = 200;
const MS_PER_SECOND = 1_000;
/** launchd refuses a plist that is group- or world-writable. */
const PLIST_MODE = 0o644;
/** launchctl's exit statuses we act on (errno values and launchd's own codes). */
export const LAUNCHCTL_EXIT = { EIO: 5, NOT_FOUND: 113, NO_GUI_SESSION: 125, DISABLED: 119 } as const;

export interface LaunchdOptions {
  /** ~/Library/LaunchAgents, injected (GATEHOUSE_LAUNCH_AGENTS_DIR). */
  readonly agentsDir: string;
  readonly uid: number;
  readonly run?: CommandRunner;
  readonly env?: NodeJS.ProcessEnv;
  /** Injected by tests so retries cost no wall time. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly retryDelayMs?: number;
}

/** What `launchctl print gui/<uid>/<label>` says about the job. */
interface JobView {
  readonly loaded: boolean;
  readonly running: boolean;
  readonly pid: number | null;
  readonly detail: string;
}



/** `label => disabled` (or `=> true`, older macOS) in `launchctl print-disabled`. */
export function disabledIn(printDisabled: string, label: string): boolean {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\s*"${escaped}" => (?:disabled|true)\\s*$`, 'm').test(printDisabled);
}

export function createLaunchdBackend(options: LaunchdOptions): ServiceBackend {
  const run = options.run ?? runBounded;
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  const retryDelayMs = options.retryDelayMs ?? BOOTSTRAP_RETRY_MS;
  const domain = `gui/${options.uid}`;
  const target = (profile: string): string => `${domain}/${launchdLabel(profile)}`;
  const plistPath = (profile: string): string => launchAgentPath(options.agentsDir, profile);
  const launchctl = (args: readonly string[], timeoutMs = LAUNCHCTL_TIMEOUT_MS): RunResult =>
    run('launchctl', args, { timeoutMs, env: options.env ?? process.env });

  const readPlist = (profile: string): string | null => readTextOrNull(plistPath(profile));

  /** A stop waits for the drain: the plist's ExitTimeOut plus a margin. */
  const stopCallTimeoutMs = (profile: string): number => {
    const text = readPlist(profile);
    const parsed = text === null ? null : parseLaunchAgent(text);
    const drain = parsed?.ok ? parsed.spec.drainTimeoutMs : DEFAULT_DRAIN_TIMEOUT_MS;
    return stopTimeoutSeconds(drain) * MS_PER_SECOND + LAUNCHCTL_TIMEOUT_MS;
  };

  const view = (profile: string): JobView => {
    const result = launchctl(['print', target(profile)], LAUNCHCTL_QUERY_TIMEOUT_MS);
    if (!result.ok) return { loaded: false, running: false, pid: null, detail: failedRun('launchctl print', result).detail };
    const state = /^\s*state = (\S+)/m.exec(result.stdout)?.[1] ?? 'unknown';
    const pid = /^\s*pid = (\d+)/m.exec(result.stdout)?.[1];
    return { loaded: true, running: state === 'running' && pid !== undefined, pid: pid === undefined ? null : Number(pid), detail: `state = ${state}${pid === undefined ? '' : `, pid = ${pid}`}` };
  };

  /** Poll `print` until `want` holds or the bound passes; the last view either way. */
  const observe = async (profile: string, want: (v: JobView) => boolean, boundMs = OBSERVE_TIMEOUT_MS): Promise<JobView> => {
    // Counted, not timed: an injected sleep makes the same bound cost no wall time in tests.
    for (let polls = Math.ceil(boundMs / OBSERVE_POLL_MS); ; polls--) {
      const current = view(profile);
      if (want(current) || polls <= 0) return current;
      await wait(OBSERVE_POLL_MS);
    }
  };

  const bootstrap = async (profile: string): Promise<ServiceResult | null> => {
    for (let attempt = 1; ; attempt++) {
      const result = launchctl(['bootstrap', domain, plistPath(profile)]);
      if (result.ok) return null;
      if (result.exitCode === LAUNCHCTL_EXIT.NO_GUI_SESSION) {
        return notOk(`no GUI login session for uid ${options.uid} (launchctl bootstrap exit 125): the agent is installed and starts at your next login; use --no-start when installing over ssh`, result.exitCode);
      }
      if (result.exitCode !== LAUNCHCTL_EXIT.EIO) return failedRun('launchctl bootstrap', result);
      // EIO: already loaded (fine), or the previous instance is still being torn down (wait).
      if (view(profile).loaded) return null;
      if (attempt >= BOOTSTRAP_ATTEMPTS) return failedRun(`launchctl bootstrap (still failing after ${attempt} attempts)`, result);
      await wait(retryDelayMs);
    }
  };

  const isDisabled = (profile: string): boolean => {
    const result = launchctl(['print-disabled', domain], LAUNCHCTL_QUERY_TIMEOUT_MS);
    return result.ok && disabledIn(result.stdout, launchdLabel(profile));
  };

  /** Load a job after a stop (bootout): a label disabled by `install --no-login` stays disabled. */
  const bootstrapEnabled = async (profile: string): Promise<ServiceResult | null> => {
    if (!isDisabled(profile)) return bootstrap(profile);
    const failed = step('launchctl enable', ['enable', target(profile)]) ?? (await bootstrap(profile));
    return step('launchctl disable', ['disable', target(profile)]) ?? failed;
  };

  const bootout = async (profile: string): Promise<ServiceResult | null> => {
    if (!view(profile).loaded) return null;
    const result = launchctl(['bootout', target(profile)], stopCallTimeoutMs(profile));
    const after = await observe(profile, (v) => !v.loaded);
    if (after.loaded) return result.ok ? notOk(`${target(profile)} is still loaded after bootout`) : failedRun('launchctl bootout', result);
    return null;
  };

  const step = (what: string, args: readonly string[]): ServiceResult | null => {
    const result = launchctl(args);
    return result.ok ? null : failedRun(what, result);
  };

  /** Load (or reload) and run the job, then observe it running. */
  const startJob = async (profile: string, reload: boolean): Promise<ServiceResult> => {
    const before = view(profile);
    if (before.loaded && reload) {
      const failed = await bootout(profile);
      if (failed) return failed;
    }
    const loaded = before.loaded && !reload;
    const failed = loaded ? (before.running ? null : step('launchctl kickstart', ['kickstart', target(profile)])) : await bootstrapEnabled(profile);
    if (failed) return failed;
    const after = await observe(profile, (v) => v.running);
    if (!after.running) return notOk(`${target(profile)} is not running after start (${after.detail})`);
    return ok(before.running && !reload ? `already running (pid ${after.pid})` : `${reload ? 'reloaded and started' : 'started'} (pid ${after.pid})`);
  };

  /**
   * The watchdog agent beside the gateway's (launchd-watchdog.ts): written, loaded at once and at
   * login like it (disabled with it for --no-login). Its failure does not undo the gateway's
   * install; the note says it plainly.
   */
  const installWatchdog = (spec: ServiceSpec, opts: InstallOptions): string => {
    const path = watchdogAgentPath(options.agentsDir, spec.profile);
    const label = watchdogLabel(spec.profile);
    const wtarget = `${domain}/${label}`;
    const text = renderWatchdogAgent(spec);
    let changed = false;
    try {
      changed = readTextOrNull(path) !== text;
      if (changed) writeAtomicSync(path, text, { mode: PLIST_MODE });
    } catch (error) {
      return `watchdog agent NOT installed: ${errorMessage(error)}`;
    }
    const loaded = launchctl(['print', wtarget], LAUNCHCTL_QUERY_TIMEOUT_MS).ok;
    // A changed definition is read by launchd at bootstrap only: unload the old one first.
    const reload = loaded && changed ? step('launchctl bootout (watchdog)', ['bootout', wtarget]) : null;
    if (reload) return `watchdog agent NOT reloaded: ${reload.detail}`;
    const enabled = step('launchctl enable (watchdog)', ['enable', wtarget]);
    if (enabled) return `watchdog agent NOT enabled: ${enabled.detail}`;
    if ((opts.start || opts.login) && (!loaded || changed)) {
      const result = launchctl(['bootstrap', domain, path]);
      if (!result.ok) {
        return result.exitCode === LAUNCHCTL_EXIT.NO_GUI_SESSION ? `watchdog ${label} installed; loads at your next login` : `watchdog agent NOT loaded: ${failedRun('launchctl bootstrap', result).detail}`;
      }
    }
    const disabled = opts.login ? null : step('launchctl disable (watchdog)', ['disable', wtarget]);
    if (disabled) return `watchdog agent NOT disabled at login: ${disabled.detail}`;
    return opts.start || opts.login ? `watchdog ${label} loaded (alert --check every ${WATCHDOG_INTERVAL_S} s)` : `watchdog ${label} installed`;
  };

  const removeWatchdog = (profile: string): ServiceResult | null => {
    const path = watchdogAgentPath(options.agentsDir, profile);
    const wtarget = `${domain}/${watchdogLabel(profile)}`;
    if (launchctl(['print', wtarget], LAUNCHCTL_QUERY_TIMEOUT_MS).ok) {
      const failed = step('launchctl bootout (watchdog)', ['bootout', wtarget]);
      if (failed) return failed;
    }
    try {
      rmSync(path, { force: true });
    } catch (error) {
      return notOk(`cannot remove ${path}: ${errorMessage(error)}`);
    }
    return null;
  };

  const backend: ServiceBackend = {
    kind: 'launchd',

    render: (spec: ServiceSpec) => [
      { path: plistPath(spec.profile), content: renderLaunchAgent(spec), mode: PLIST_MODE, role: 'LaunchAgent plist' },
      { path: watchdogAgentPath(options.agentsDir, spec.profile), content: renderWatchdogAgent(spec), mode: PLIST_MODE, role: 'watchdog LaunchAgent (alert --check)' },
    ],

    parse: (content: string | Uint8Array) => parseLaunchAgent(typeof content === 'string' ? content : Buffer.from(content).toString('utf8')),

    async install(spec: ServiceSpec, opts: InstallOptions): Promise<ServiceResult> {
      const text = renderLaunchAgent(spec);
      const before = readPlist(spec.profile);
      const changed = before !== text;
      const notes: string[] = [];
      if (changed) {
        mkdirSync(options.agentsDir, { recursive: true });
        writeAtomicSync(plistPath(spec.profile), text, { mode: PLIST_MODE });
        notes.push(before === null ? `wrote ${plistPath(spec.profile)}` : `rewrote ${plistPath(spec.profile)} (it had drifted)`);
      } else notes.push('plist unchanged');
      // A disabled label cannot be bootstrapped: enable first, disable again afterwards for --no-login.
      if (opts.login || opts.start) {
        const failed = step('launchctl enable', ['enable', target(spec.profile)]);
        if (failed) return failed;
      }
      if (opts.start) {
        const started = await startJob(spec.profile, changed && view(spec.profile).loaded);
        if (!started.ok) return started;
        notes.push(started.detail);
      } else if (changed && view(spec.profile).loaded) notes.push('the loaded job keeps its old definition until the next start');
      if (!opts.login) {
        const failed = step('launchctl disable', ['disable', target(spec.profile)]);
        if (failed) return failed;
      }
      notes.push(opts.login ? 'starts at login' : 'not started at login');
      notes.push(installWatchdog(spec, opts));
      return ok(notes.join('; '));
    },

    async uninstall(profile: string): Promise<ServiceResult> {
      const failed = removeWatchdog(profile) ?? (await bootout(profile));
      if (failed) return failed;
      try {
        rmSync(plistPath(profile), { force: true });
      } catch (error) {
        return notOk(`cannot remove ${plistPath(profile)}: ${errorMessage(error)}`);
      }
      return ok(`removed ${launchdLabel(profile)}`);
    },

    isInstalled: async (profile: string) => {
      const text = readPlist(profile);
      return text !== null && parseLaunchAgent(text).ok;
    },

    isEnabled: async (profile: string) => {
      if (!existsSync(plistPath(profile))) return false;
      const result = launchctl(['print-disabled', domain], LAUNCHCTL_QUERY_TIMEOUT_MS);
      return result.ok && !disabledIn(result.stdout, launchdLabel(profile));
    },

    start: (profile: string) => startJob(profile, false),

    async stop(profile: string): Promise<ServiceResult> {
      if (!view(profile).running) return ok('not running');
      // bootout: SIGTERM (the monitor drains) and unload, so KeepAlive does not relaunch it.
      return (await bootout(profile)) ?? ok('stopped');
    },

    async restart(profile: string): Promise<ServiceResult> {
      const stopped = await backend.stop(profile);
      return stopped.ok ? startJob(profile, false) : stopped;
    },

    async status(profile: string): Promise<ServiceStatus> {
      const installed = readPlist(profile) !== null;
      const job = view(profile);
      return {
        kind: 'launchd',
        installed,
        enabled: installed && (await backend.isEnabled(profile)),
        state: !installed ? 'not-installed' : job.running ? 'running' : 'stopped',
        files: installed ? [plistPath(profile)] : [],
        detail: `${target(profile)}: ${job.loaded ? job.detail : 'not loaded'}`,
      };
    },
  };
  return backend;
}
