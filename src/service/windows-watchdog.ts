// The watchdog the Scheduled Task track brings along on Windows: a second per-user task,
// `<gateway task> watchdog`, whose time trigger runs `gatehouse alert --check` every minute through
// the same hidden JScript launcher (wscript.exe, window style 0: nothing flashes), so a monitor that
// died and was not revived or that is wedged is still alerted on. A second task, not a second
// trigger on the gateway's: under IgnoreNew a trigger of a running task does nothing, and the
// gateway's task runs for as long as the gateway does. The launcher's hold (a planned `gatehouse
// stop`) makes it do nothing, as there is nothing to alert on then.
import { ENV } from '../env.js';
import { taskName } from './task-xml.js';
import type { ServiceSpec } from './types.js';
import { renderLauncher } from './windows-launcher.js';

export const WATCHDOG_LAUNCHER_FILE = 'gatehouse-watchdog.js';

/** A space cannot be in a profile name, so no profile's gateway task is ever called this. */
export function watchdogTaskName(profile: string): string {
  return `${taskName(profile)} watchdog`;
}

/** The gateway's spec with the check in place of `run`: same node, entry script, home, directory. */
export function watchdogSpec(spec: ServiceSpec): ServiceSpec {
  const home = spec.env[ENV.HOME];
  return { ...spec, args: ['alert', '--check', '--profile', spec.profile], env: home === undefined ? {} : { [ENV.HOME]: home } };
}

export function renderWatchdogLauncher(spec: ServiceSpec): string {
  return renderLauncher(watchdogSpec(spec));
}
