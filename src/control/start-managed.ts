// `gatehouse start` when the profile's autostart service is installed (systemd, launchd): start it
// through the manager, so the manager's monitor is the only one (a monitor spawned beside it would
// hold the lock, and the manager's would exit and be restarted into its start limit). Confirmed as
// `start` confirms: it answered on the control endpoint and /healthz, and still answered after the
// confirm window. Only when the manager cannot be reached does the caller fall back to a spawn.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { ProfilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import { LifecycleLog } from '../runtime/lifecycle-log.js';
import { controlTarget, hello } from './client.js';
import { fileSize, linesSince, problems } from './log-excerpt.js';
import type { ServiceHost } from '../service/select.js';
import { selectFor } from './service-select.js';
import { confirmWindowMs, healthy, runningApiUrl, type StartResult } from './start.js';

const POLL_MS = 100;
const PROBE_TIMEOUT_MS = 1_000;
/** How often the manager is asked whether the unit is still up while waiting for an answer. */
const MANAGER_POLL_MS = 1_000;

export type ManagedStart =
  | { readonly kind: 'done'; readonly result: StartResult }
  /** Start by spawning; `note` says why the manager was not used (null: no service installed). */
  | { readonly kind: 'spawn'; readonly note: string | null };

export async function startThroughManager(paths: ProfilePaths, timeoutMs: number, host?: ServiceHost): Promise<ManagedStart> {
  let selection;
  let manager: string | null;
  try {
    selection = await selectFor(paths, host);
    manager = selection.ok ? await selection.service.startsThrough(paths.profile) : null;
  } catch {
    return { kind: 'spawn', note: null };
  }
  if (!selection.ok || manager === null) return { kind: 'spawn', note: null };
  const { backend } = selection.service;
  try {
    if (!(await backend.isInstalled(paths.profile))) return { kind: 'spawn', note: null };
  } catch (error) {
    return { kind: 'spawn', note: `could not tell whether the ${manager} service is installed: ${errorMessage(error)}` };
  }
  const logOffset = fileSize(paths.gatewayLog);
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

  const deadline = Date.now() + timeoutMs;
  let apiUrl: string | null = null;
  let pid: number | null = null;
  let instance: string | null = null;
  let lastManagerCheck = Date.now();
  while (apiUrl === null) {
    if (Date.now() > deadline) return failure(`${manager} started the service, but the gateway did not answer within ${timeoutMs} ms`);
    const answer = await hello(controlTarget(paths), PROBE_TIMEOUT_MS);
    if (answer.ok && answer.data.state === 'running') {
      apiUrl = await runningApiUrl(paths);
      pid = answer.data.pid;
      instance = answer.data.instance;
    }
    if (apiUrl !== null) break;
    if (Date.now() - lastManagerCheck >= MANAGER_POLL_MS) {
      lastManagerCheck = Date.now();
      const status = await backend.status(paths.profile).catch(() => null);
      if (status?.state === 'stopped') return failure(`the gateway ${manager} started exited while starting (${status.detail})`);
    }
    await sleep(POLL_MS);
  }
  if (!(await healthy(apiUrl))) return failure(`the gateway answered on its control endpoint but not on ${apiUrl}/healthz`);
  await sleep(confirmWindowMs());
  const still = await hello(controlTarget(paths), PROBE_TIMEOUT_MS);
  if (!still.ok || still.data.instance !== instance || pid === null || !platform.isAlive(pid)) {
    return failure('the gateway answered, then died within the confirm window');
  }
  return {
    kind: 'done',
    result: { ok: true, alreadyRunning: false, pid, apiUrl, message: `started through ${manager} (pid ${pid})`, exitCode: EXIT.OK, details: [], via: manager },
  };
}
