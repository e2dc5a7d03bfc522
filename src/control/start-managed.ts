// `gatehouse start` when the profile's autostart service is installed (systemd, launchd): start it
// through the manager, so the manager's monitor is the only one (a monitor spawned beside it would
// hold the lock, and the manager's would exit and be restarted into its start limit). Confirmed as
// every start is (start-confirm.ts). Only when the manager cannot be reached, or it cannot be told
// whether a service is installed, does the caller fall back to a spawn, and it says why.
import { errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { ProfilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import { LifecycleLog } from '../runtime/lifecycle-log.js';
import type { Selection } from '../service/select.js';
import { linesSince, logMark, problems } from './log-excerpt.js';
import { confirmStart } from './start-confirm.js';
import type { StartResult } from './start-result.js';

/** How often the manager is asked whether the unit is still up while waiting for an answer. */
const MANAGER_POLL_MS = 1_000;

export type ManagedStart =
  | { readonly kind: 'done'; readonly result: StartResult }
  /** Start by spawning; `note` says why the manager was not used (null: no service to use). */
  | { readonly kind: 'spawn'; readonly note: string | null };

/** Which manager to start through, or why none: selection is the caller's (service-select.ts). */
async function managerFor(paths: ProfilePaths, select: () => Promise<Selection>): Promise<{ manager: string; selection: Selection & { ok: true } } | ManagedStart> {
  let selection: Selection;
  let manager: string | null;
  try {
    selection = await select();
    // No autostart on this platform: nothing installed to go through, and nothing to report.
    if (!selection.ok) return { kind: 'spawn', note: null };
    manager = await selection.service.startsThrough(paths.profile);
  } catch (error) {
    return { kind: 'spawn', note: `could not tell whether an autostart service is installed: ${errorMessage(error)}` };
  }
  if (manager === null) return { kind: 'spawn', note: null };
  return { manager, selection };
}

export async function startThroughManager(paths: ProfilePaths, timeoutMs: number, select: () => Promise<Selection>): Promise<ManagedStart> {
  const chosen = await managerFor(paths, select);
  if ('kind' in chosen) return chosen;
  const { manager } = chosen;
  const { backend } = chosen.selection.service;
  try {
    if (!(await backend.isInstalled(paths.profile))) return { kind: 'spawn', note: null };
  } catch (error) {
    return { kind: 'spawn', note: `could not tell whether the ${manager} service is installed: ${errorMessage(error)}` };
  }
  const logOffset = logMark(paths.gatewayLog);
  const since = Date.now();
  const failure = (message: string): ManagedStart => {
    const lastFailure = new LifecycleLog(paths.lifecycleLog).tail(20)
      .filter((e) => e.event === 'start_failed' && Date.parse(e.ts) >= since - 1_000).at(-1);
    const exitCode = lastFailure?.code === EXIT.CONFIG ? EXIT.CONFIG : EXIT.FAILURE;
    return { kind: 'done', result: { ok: false, alreadyRunning: false, pid: null, apiUrl: null, message, exitCode, details: problems(linesSince(paths.gatewayLog, logOffset)), via: manager } };
  };

  const started = await backend.start(paths.profile);
  if (!started.ok) {
    // Reachable but refusing (a masked unit, a bad definition) is a failure to report; a manager
    // that does not answer at all is the one case for starting without it.
    const state = await backend.status(paths.profile).then((s) => s.state, () => 'unknown' as const);
    if (started.timedOut || state === 'unknown') return { kind: 'spawn', note: `could not reach ${manager} (${started.detail})` };
    return failure(`${manager} did not start the service: ${started.detail}`);
  }

  // The unit's monitor is whichever answers: the manager starts it, we never learn its pid first.
  let lastManagerCheck = Date.now();
  const confirmed = await confirmStart(paths, {
    async gone() {
      if (Date.now() - lastManagerCheck < MANAGER_POLL_MS) return null;
      lastManagerCheck = Date.now();
      const status = await backend.status(paths.profile).catch(() => null);
      return status?.state === 'stopped' ? `the gateway ${manager} started exited while starting (${status.detail})` : null;
    },
    alive: (pid) => platform.isAlive(pid),
  }, timeoutMs);
  if (!confirmed.ok) {
    return failure(confirmed.why === 'timeout' ? `${manager} started the service, but the gateway ${confirmed.message}` : confirmed.message);
  }
  const { pid, apiUrl } = confirmed;
  return {
    kind: 'done',
    result: { ok: true, alreadyRunning: false, pid, apiUrl, message: `started through ${manager} (pid ${pid})`, exitCode: EXIT.OK, details: [], via: manager },
  };
}
