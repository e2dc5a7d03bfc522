// The planned-stop marker: a file naming the exact process (pid + start time) that should drain and
// stop. For stoppers that cannot speak the control protocol (service managers' stop hooks, updaters).
// Watched with fs.watch, so the gateway reacts at once; a marker for another process or one older
// than MARKER_TTL_MS is stale and removed, a malformed one is removed and logged.
import type { FSWatcher } from 'node:fs';
import { errorMessage } from '../errors.js';
import { foreignOwner } from '../fs-check.js';
import { basename, dirname } from 'node:path';
import { readJsonFile, writeJsonFile } from '../fs-util.js';
import { platform, sameStart, type ProcessIdentity } from '../platform/index.js';
import { integer, nonNegativeInteger, number, object, positiveInteger, shape, string } from '../shape.js';

const { watch, rmSync, statSync } = process.getBuiltinModule('node:fs');

export const MARKER_TTL_MS = 60_000;
/** A writer that is not atomic (a shell's `echo > file`) shows an empty or half file for a moment. */
const MALFORMED_RECHECK_MS = 250;

export interface PlannedStopMarker {
  readonly targetPid: number;
  readonly targetStartTime: number;
  /** Linux: the target's start ticks (ProcessIdentity.startTicks), compared when both sides have them. */
  readonly targetStartTicks?: number;
  readonly stopperPid: number;
  readonly writtenAt: string;
  readonly timeoutMs?: number;
  readonly reason?: string;
}

const markerSchema = shape<PlannedStopMarker>(object({
  targetPid: positiveInteger,
  targetStartTime: number,
  targetStartTicks: nonNegativeInteger,
  stopperPid: integer,
  writtenAt: string,
  timeoutMs: nonNegativeInteger,
  reason: string,
}, { optional: ['timeoutMs', 'reason', 'targetStartTicks'] }));

export function writePlannedStop(file: string, target: ProcessIdentity, options: { timeoutMs?: number; reason?: string } = {}): void {
  const marker: PlannedStopMarker = {
    targetPid: target.pid,
    targetStartTime: target.startTime,
    ...(target.startTicks === undefined ? {} : { targetStartTicks: target.startTicks }),
    stopperPid: process.pid,
    writtenAt: new Date().toISOString(),
    ...options,
  };
  writeJsonFile(file, marker);
}

/** The marker on disk when it is a valid one, else null (missing, being written, malformed, a directory). */
export function readPlannedStop(file: string): PlannedStopMarker | null {
  const read = readJsonFile(file, markerSchema);
  return read.kind === 'ok' ? read.value : null;
}

function markerTarget(marker: PlannedStopMarker): ProcessIdentity {
  const { targetPid: pid, targetStartTime: startTime, targetStartTicks: startTicks } = marker;
  return startTicks === undefined ? { pid, startTime } : { pid, startTime, startTicks };
}

export type MarkerVerdict =
  | { readonly kind: 'none' }
  | { readonly kind: 'mine'; readonly marker: PlannedStopMarker }
  | { readonly kind: 'foreign' }
  | { readonly kind: 'stale'; readonly why: string }
  | { readonly kind: 'malformed'; readonly why: string }
  /** Written by another user (root can write into our directory): never obeyed, removed. */
  | { readonly kind: 'untrusted'; readonly why: string };

/** Who wrote the marker: another user's marker is not ours to obey, whatever it says. */
function writtenByAnother(file: string): string | null {
  try {
    return foreignOwner(file, statSync(file));
  } catch {
    return null; // gone: judged as missing below
  }
}

/** Classify the marker on disk relative to `self`. Pure apart from reading the file. */
export function judgeMarker(file: string, self: ProcessIdentity, now = Date.now()): MarkerVerdict {
  const foreign = writtenByAnother(file);
  if (foreign !== null) return { kind: 'untrusted', why: foreign };
  const read = readJsonFile(file, markerSchema);
  // An empty file is a marker still being written (a shell's `echo > file`): nothing to judge yet.
  if (read.kind === 'missing' || (read.kind === 'invalid' && read.empty === true)) return { kind: 'none' };
  if (read.kind === 'invalid') return { kind: 'malformed', why: read.reason };
  const marker = read.value;
  const age = now - Date.parse(marker.writtenAt);
  if (!(age <= MARKER_TTL_MS)) return { kind: 'stale', why: `written ${Math.round(age / 1000)} s ago` };
  const target = markerTarget(marker);
  if (sameStart(target, self)) return { kind: 'mine', marker };
  if (marker.targetPid === self.pid) return { kind: 'stale', why: 'names this pid with another start time (pid reuse)' };
  // For another process: leave it for that process while it lives, drop it once it is gone.
  const targetAlive = platform.matchesIdentity(target);
  return targetAlive ? { kind: 'foreign' } : { kind: 'stale', why: `its target pid ${marker.targetPid} is gone` };
}

/**
 * Remove a consumed or stale marker. Never throws: what sits at the marker's path may not be a file
 * (a directory put there by hand), and a watcher that threw would take the gateway down with it.
 */
function removeMarker(file: string): string | null {
  try {
    rmSync(file, { force: true });
    return null;
  } catch (error) {
    return errorMessage(error);
  }
}

export interface MarkerWatcher {
  close(): void;
}

/**
 * Watch for a marker that names `self`; call onStop once. Also checks once at start, for a marker
 * written while the gateway was starting.
 */
export function watchPlannedStop(
  file: string,
  self: ProcessIdentity,
  onStop: (marker: PlannedStopMarker) => void,
  onDiscard: (verdict: MarkerVerdict) => void,
): MarkerWatcher {
  let fired = false;
  let recheck: NodeJS.Timeout | null = null;
  const check = (settled = false): void => {
    if (fired) return;
    const verdict = judgeMarker(file, self);
    if (verdict.kind === 'mine') {
      fired = true;
      removeMarker(file); // consumed: it must not stop the next instance
      onStop(verdict.marker);
    } else if (verdict.kind === 'stale' || verdict.kind === 'untrusted' || (verdict.kind === 'malformed' && settled)) {
      const left = removeMarker(file);
      onDiscard(left === null ? verdict : { kind: verdict.kind, why: `${verdict.why}; cannot remove it: ${left}` });
    } else if (verdict.kind === 'malformed' && recheck === null) {
      // Maybe still being written: judge it again once the writer is done.
      recheck = setTimeout(() => { recheck = null; check(true); }, MALFORMED_RECHECK_MS);
      recheck.unref();
    }
  };
  const name = basename(file);
  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (changed === null || changed === name) check();
  });
  watcher.on('error', () => { /* the profile dir went away: nothing left to watch */ });
  check();
  return {
    close: () => {
      if (recheck !== null) clearTimeout(recheck);
      watcher.close();
    },
  };
}
