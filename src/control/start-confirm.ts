// The one confirmation that a started gateway serves and stays up, whichever way it was started
// (spawned by `start`, started by systemd or launchd, run by the Task Scheduler): its monitor
// answers on the control endpoint as running (it says so only once its worker reported ready), its
// API answers /healthz, and after a short stability window the same monitor still runs the same
// worker. The caller says how it can tell that what it started is gone, and which answers are not
// its gateway; this module knows nothing of how the gateway was started.
import { setTimeout as sleep } from 'node:timers/promises';
import { ENV } from '../env.js';
import type { ProfilePaths } from '../paths.js';
import { controlTarget, hello, requestStatus } from '../runtime/control-client.js';
import type { HelloReply, StatusReply } from '../runtime/protocol.js';
import { DEFAULT_START_CONFIRM_MS } from './start-defaults.js';

const { get: httpGet } = process.getBuiltinModule('node:http');

/**
 * How often the endpoint is asked while the gateway boots. A try before the monitor listens is a
 * failed connect (microseconds); after, one small exchange: cheap beside the boot, and short enough
 * that `start` returns within a few tens of milliseconds of the gateway being ready.
 */
const POLL_MS = 50;
const PROBE_TIMEOUT_MS = 1_000;
const HEALTH_TIMEOUT_MS = 2_000;

export function confirmWindowMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env[ENV.START_CONFIRM_MS]);
  return Number.isInteger(value) && value >= 0 ? value : DEFAULT_START_CONFIRM_MS;
}

/** What the caller knows of the gateway it started. */
export interface StartWatch {
  /** Why what was started is known to be gone (exited, the manager says stopped); null while it may still come up. */
  gone(): string | null | Promise<string | null>;
  /** Is this answer from a monitor other than the one started (a concurrent start won)? Absent: any answer is ours. */
  isOther?(answer: HelloReply): boolean;
  /** Is this pid (the monitor that answered) still alive? Absent: the second answer is the proof. */
  alive?(pid: number): boolean;
}

export type ConfirmFailure = 'gone' | 'other' | 'timeout' | 'unhealthy' | 'died' | 'worker-replaced';

export type Confirmation =
  | { readonly ok: true; readonly pid: number; readonly instance: string; readonly apiUrl: string }
  | { readonly ok: false; readonly why: ConfirmFailure; readonly message: string; readonly pid: number | null };

/**
 * GET /healthz answers 200. Through node:http, not fetch: undici's connect fails under Wine
 * ("connect UNKNOWN"), and a probe this basic should depend on as little as possible.
 */
export function healthy(apiUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpGet(`${apiUrl}/healthz`, { timeout: HEALTH_TIMEOUT_MS }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false)); // not answering yet
  });
}

const failed = (why: ConfirmFailure, message: string, pid: number | null = null): Confirmation => ({ ok: false, why, message, pid });

/** Poll until the started gateway answers as running with an API; or why it never will. */
async function firstAnswer(paths: ProfilePaths, watch: StartWatch, timeoutMs: number): Promise<StatusReply | Confirmation> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = await watch.gone();
    if (gone !== null) return failed('gone', gone);
    if (Date.now() > deadline) return failed('timeout', `did not answer within ${timeoutMs} ms`);
    const answer = await hello(controlTarget(paths), PROBE_TIMEOUT_MS);
    if (answer.ok && watch.isOther?.(answer.data) === true) return failed('other', `another gateway answers (pid ${answer.data.pid})`, answer.data.pid);
    if (answer.ok && answer.data.state === 'running') {
      const status = await requestStatus(controlTarget(paths), PROBE_TIMEOUT_MS);
      if (status.ok && status.data.apiUrl !== null && status.data.instance === answer.data.instance) return status.data;
    }
    await sleep(POLL_MS);
  }
}

/**
 * A worker of this fresh monitor has died after its ready: the monitor counts a crash or a respawn
 * (a death before ready would have failed the monitor's own start instead).
 */
function workerReplaced(first: StatusReply, now: StatusReply): Confirmation | null {
  if (now.worker.pid === first.worker.pid && now.restarts === 0 && now.lastCrash === null) return null;
  const crash = now.lastCrash === null ? '' : ` (${now.lastCrash.reason})`;
  return failed('worker-replaced', `the gateway answered, then its worker exited within the confirm window${crash}; ` +
    `the monitor (pid ${now.pid}) keeps running and respawns it: \`gatehouse status\` shows how it goes, \`gatehouse stop\` ends it`, now.pid);
}

/**
 * After the window: the same monitor instance, alive, still running, with the worker that served
 * at the first answer and no crash since (a worker that died right after its ready, in the resume
 * of old messages, the channels' start or an agent's first timers, is counted by then).
 */
async function staysUp(paths: ProfilePaths, watch: StartWatch, first: StatusReply, windowMs: number): Promise<Confirmation> {
  await sleep(windowMs);
  const still = await requestStatus(controlTarget(paths), PROBE_TIMEOUT_MS);
  const alive = watch.alive?.(first.pid) ?? true;
  if (!alive || !still.ok || still.data.instance !== first.instance || still.data.state !== 'running') {
    return failed('died', 'the gateway answered, then died within the confirm window', first.pid);
  }
  return workerReplaced(first, still.data) ?? { ok: true, pid: first.pid, instance: first.instance, apiUrl: first.apiUrl as string };
}

/** The confirmation: first answer, /healthz, then the stability window (GATEHOUSE_START_CONFIRM_MS). */
export async function confirmStart(paths: ProfilePaths, watch: StartWatch, timeoutMs: number, windowMs = confirmWindowMs()): Promise<Confirmation> {
  const first = await firstAnswer(paths, watch, timeoutMs);
  if ('ok' in first) return first;
  const early = workerReplaced(first, first);
  if (early !== null) return early;
  const apiUrl = first.apiUrl as string;
  if (!(await healthy(apiUrl))) return failed('unhealthy', `the gateway answered on its control endpoint but not on ${apiUrl}/healthz`, first.pid);
  return staysUp(paths, watch, first, windowMs);
}
