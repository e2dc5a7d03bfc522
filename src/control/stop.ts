// Stopping a gateway: ask it to drain over the control endpoint; if it cannot hear that, leave a
// planned-stop marker; if it still does not go, SIGTERM then SIGKILL its process tree, checking
// identity (pid + start time) before every signal. Each step taken is recorded in the result.
import { readPidFile, removePidFileIfOwned } from '../runtime/pid-file.js';
import { LifecycleLog } from '../runtime/lifecycle-log.js';
import { readPlannedStop, writePlannedStop } from '../runtime/planned-stop.js';
import { killProcessTree, waitGone, waitUntil } from '../runtime/process-tree.js';
import { readStateFile } from '../runtime/state-file.js';
import { errorMessage } from '../errors.js';
import type { ProfilePaths } from '../paths.js';
import { platform, type ProcessIdentity } from '../platform/index.js';
import { holdAutostart } from '../service/autostart-hold.js';
import { controlTarget, hello, requestStop } from '../runtime/control-client.js';
import { helloIdentity } from '../runtime/protocol.js';
import { describeDiscovered, discoverMonitors, type DiscoveredMonitor } from './discover.js';
import { explainUnproven, type UnprovenOwner } from './endpoint-owner.js';

const { rmSync } = process.getBuiltinModule('node:fs');

/** Beyond the drain deadline, how long the monitor gets to finish and exit (it kills a late worker at +5 s). */
export const STOP_EXIT_GRACE_MS = 10_000;
/** How long a gateway gets to show it saw the planned-stop marker (it watches, so it reacts at once). */
export const MARKER_REACTION_MS = 2_000;
export const TERM_GRACE_MS = 3_000;
export const KILL_WAIT_MS = 3_000;
const FIND_TIMEOUT_MS = 1_000;

export interface StopOptions {
  readonly timeoutMs: number;
  readonly reason: string;
  /**
   * `gatehouse stop`: also hold the Windows autostart (service/autostart-hold.ts), so that the
   * task's repeating trigger does not start it again. Not for stops that precede a start.
   */
  readonly holdAutostart?: boolean;
}

export interface StopResult {
  readonly ok: boolean;
  readonly wasRunning: boolean;
  readonly pid: number | null;
  readonly steps: readonly string[];
  readonly message: string;
  /** The hold file written (Windows autostart installed, holdAutostart asked), else absent. */
  readonly autostartHold?: string;
  /** Every pid stopped, when discovery found more than one monitor of the profile. */
  readonly pids?: readonly number[];
  /** What could not be done on the way (the marker could not be written), for stderr. */
  readonly warnings?: readonly string[];
}

interface Target {
  readonly identity: ProcessIdentity;
  readonly instance: string | null;
  readonly controlAnswered: boolean;
  /** A monitor inside another program (the library's runGateway): its process outlives it. */
  readonly hosted: boolean;
  /** Set when neither the control endpoint nor the PID file named it: how it was found instead. */
  readonly discoveredBy?: string;
}

/**
 * Who to stop: whoever answers on the control endpoint, else a PID file whose identity still holds,
 * else every monitor found by its command line (discover.ts), each fingerprinted when found: two
 * monitors of one profile (a lock that failed, a start raced) are both stopped, oldest first. Beside
 * one that answers or has the PID file, any other monitor its command line shows is stopped after it
 * (a stale one that lost its endpoint would otherwise outlive the stop).
 */
export async function findRunning(paths: ProfilePaths): Promise<{ readonly targets: Target[]; readonly unproven: UnprovenOwner | null }> {
  const answer = await hello(controlTarget(paths), FIND_TIMEOUT_MS);
  if (answer.ok) {
    const identity = helloIdentity(answer.data);
    return { targets: [{ identity, instance: answer.data.instance, controlAnswered: true, hosted: answer.data.hosted === true }, ...discovered(paths, identity)], unproven: null };
  }
  // An endpoint that cannot prove the token is never asked to stop, and its claims never name a target.
  const unproven = answer.kind === 'unproven' ? explainUnproven(paths, answer.claim) : null;
  const record = readPidFile(paths.pidFile);
  if (record.kind === 'ok' && platform.matchesIdentity(record.value)) {
    return { targets: [{ identity: record.value, instance: record.value.instance, controlAnswered: false, hosted: false }, ...discovered(paths, record.value)], unproven };
  }
  return { targets: discovered(paths, null), unproven };
}

/** Monitors of the profile found by their command line, but `known` (already a target). */
function discovered(paths: ProfilePaths, known: ProcessIdentity | null): Target[] {
  const found = discoverMonitors(paths);
  if (found.kind !== 'found') return [];
  return found.monitors.filter((monitor) => known === null || monitor.identity.pid !== known.pid).map((monitor: DiscoveredMonitor) => ({
    identity: monitor.identity, instance: null, controlAnswered: false, hosted: false, discoveredBy: describeDiscovered(monitor, found.source),
  }));
}

export async function stopGateway(paths: ProfilePaths, options: StopOptions): Promise<StopResult> {
  // Held before stopping, and even when not running: the task would start it within minutes.
  const hold = options.holdAutostart === true ? holdAutostart(paths.dir, options.reason) : null;
  const held = hold === null ? {} : { autostartHold: hold };
  const { targets, unproven } = await findRunning(paths);
  if (targets.length === 0) return { ok: true, wasRunning: false, pid: null, steps: [], message: unproven === null ? 'not running' : `not running; ${unproven.message}`, ...held };
  const results: StopResult[] = [];
  for (const target of targets) results.push(await stopOne(paths, target, options));
  const [first] = results as [StopResult, ...StopResult[]];
  if (results.length === 1) return { ...first, ...held };
  const failed = results.filter((r) => !r.ok);
  const pids = results.map((r) => r.pid);
  return {
    ok: failed.length === 0, wasRunning: true, pid: first.pid, pids: pids as number[],
    steps: [`${results.length} monitors of this profile`, ...results.flatMap((r) => r.steps.map((step) => `pid ${r.pid}: ${step}`))],
    message: failed.length === 0 ? `stopped ${results.length} monitors (pids ${pids.join(', ')})` : failed.map((r) => r.message).join('; '),
    ...(results.some((r) => r.warnings !== undefined) ? { warnings: results.flatMap((r) => r.warnings ?? []) } : {}),
    ...held,
  };
}

async function stopOne(paths: ProfilePaths, target: Target, options: StopOptions): Promise<StopResult> {
  const { identity } = target;
  const steps: string[] = target.discoveredBy === undefined ? [] : [`no PID file or control answer; ${target.discoveredBy}`];
  const warnings: string[] = [];
  const done = (ok: boolean, message: string): StopResult => {
    const left = ok && target.instance !== null ? bestEffort(() => removePidFileIfOwned(paths.pidFile, target.instance as string)) : null;
    if (left !== null) warnings.push(`could not remove the PID file ${paths.pidFile} (${left}); it names a process that is gone, so it is ignored`);
    return { ok, wasRunning: true, pid: identity.pid, steps, message, ...(warnings.length === 0 ? {} : { warnings }) };
  };
  const drainWindow = options.timeoutMs + STOP_EXIT_GRACE_MS;

  let drainRequested = false;
  if (target.controlAnswered) {
    const reply = await requestStop(controlTarget(paths), options.timeoutMs, options.reason);
    if (reply.ok) {
      drainRequested = true;
      steps.push('asked to drain over the control endpoint');
      if (await waitEnded(paths, target, drainWindow)) return done(true, `stopped (pid ${identity.pid})`);
      steps.push(`still running ${drainWindow} ms later`);
    } else {
      steps.push(`control endpoint refused the stop (${reply.detail})`);
    }
  }
  if (!drainRequested) {
    const unwritable = tryWritePlannedStop(paths, identity, options);
    if (unwritable !== null) {
      // Not a reason to leave it running: escalate now (identity-checked), and say what failed.
      warnings.push(unwritable);
      steps.push(unwritable);
    } else {
      steps.push('wrote the planned-stop marker');
      const reacted = await waitUntil(() => !platform.matchesIdentity(identity) || isDraining(paths, identity), MARKER_REACTION_MS);
      if (reacted && (await waitEnded(paths, target, drainWindow))) return done(true, `stopped (pid ${identity.pid})`);
      steps.push(reacted ? `still running ${drainWindow} ms after it began draining` : 'no reaction to the marker');
      removeOwnMarker(paths, identity); // never leave a marker behind for a later process
    }
  }
  return escalate(paths, identity, steps, warnings, done);
}

/** Run a step that may fail without stopping the stop (the gateway is what matters); its error, or null. */
function bestEffort(step: () => void): string | null {
  try {
    step();
    return null;
  } catch (error) {
    return errorMessage(error);
  }
}

/** Write the marker; why it could not be written (an unwritable profile dir, a full disk, a directory in its place), or null. */
function tryWritePlannedStop(paths: ProfilePaths, identity: ProcessIdentity, options: StopOptions): string | null {
  const failed = bestEffort(() => writePlannedStop(paths.plannedStop, identity, { timeoutMs: options.timeoutMs, reason: options.reason }));
  return failed === null ? null : `could not write the planned-stop marker ${paths.plannedStop} (${failed}); escalating to signals`;
}

/** Remove the marker only when it is still the one written for this target (a file, ours). */
function removeOwnMarker(paths: ProfilePaths, identity: ProcessIdentity): void {
  const marker = readPlannedStop(paths.plannedStop);
  if (marker !== null && marker.targetPid === identity.pid && marker.stopperPid === process.pid) rmSync(paths.plannedStop, { force: true });
}

/**
 * The gateway has ended: its process is gone; or, for a hosted monitor (whose process is the host's
 * and lives on), its instance no longer answers on the control endpoint (it closes that last but one,
 * after the worker has drained and exited).
 */
async function waitEnded(paths: ProfilePaths, target: Target, timeoutMs: number): Promise<boolean> {
  if (!target.hosted) return waitGone(target.identity, timeoutMs);
  const endpoint = controlTarget(paths);
  return waitUntil(async () => {
    if (!platform.matchesIdentity(target.identity)) return true;
    const answer = await hello(endpoint, FIND_TIMEOUT_MS);
    return !answer.ok || answer.data.instance !== target.instance;
  }, timeoutMs);
}

function isDraining(paths: ProfilePaths, identity: ProcessIdentity): boolean {
  const state = readStateFile(paths.stateFile);
  return state.kind === 'ok' && state.value.pid === identity.pid && state.value.state === 'draining';
}

async function escalate(
  paths: ProfilePaths, identity: ProcessIdentity, steps: string[], warnings: string[], done: (ok: boolean, message: string) => StopResult,
): Promise<StopResult> {
  const lifecycle = new LifecycleLog(paths.lifecycleLog);
  for (const [signal, waitMs] of [['SIGTERM', TERM_GRACE_MS], ['SIGKILL', KILL_WAIT_MS]] as const) {
    const count = killProcessTree(identity, signal);
    steps.push(`${signal} to ${count} process(es) of the tree`);
    const unlogged = bestEffort(() => lifecycle.append('escalate', { targetPid: identity.pid, signal, processes: count }));
    if (unlogged !== null) warnings.push(`could not record the ${signal} in ${paths.lifecycleLog} (${unlogged})`);
    if (await waitGone(identity, waitMs)) return done(true, `stopped (pid ${identity.pid}) with ${signal}`);
  }
  return done(false, `pid ${identity.pid} is still running after SIGKILL`);
}
