// Incidents and the alert queue, as files in <profile>/alerts/, so that the monitor, the worker, the
// watchdog check and the sender (separate processes, any of which may die) share them without a
// lock: an incident is open while alerts/open/<key>.json exists (created with O_EXCL, so only the
// first raiser enqueues the alert); a queued alert is one file, claimed by renaming it (atomic, so
// two senders never send the same one).
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isErrnoException } from '../../errors.js';
import { writeJsonFile } from '../../fs-util.js';

const { randomUUID } = process.getBuiltinModule('node:crypto');
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = process.getBuiltinModule('node:fs');

export type AlertState = 'firing' | 'resolved' | 'test';
export type AlertSeverity = 'critical' | 'warning' | 'info';

/** What is sent. Never holds a secret: texts are ours, errors are cut short, no message text. */
export interface AlertEvent {
  readonly id: string;
  readonly state: AlertState;
  /** The incident's key: `crash_loop`, `gateway_down`, `message_failed:<id>`, ... */
  readonly incident: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly message: string;
  readonly profile: string;
  readonly host: string;
  readonly at: string;
}

export interface AlertRaise {
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly message: string;
  /** An event, not a condition (a failed message): never resolved, its marker pruned after a week. */
  readonly oneShot?: boolean;
}

interface IncidentRecord extends AlertRaise {
  readonly incident: string;
  readonly openedAt: string;
}

/** One-shot markers (kept only to send each event once) older than this are removed. */
export const ONE_SHOT_KEEP_MS = 7 * 24 * 3_600_000;

export function alertsDir(profileDir: string): string {
  return join(profileDir, 'alerts');
}

function dirs(profileDir: string): { open: string; queue: string; sending: string; failed: string } {
  const root = alertsDir(profileDir);
  return { open: join(root, 'open'), queue: join(root, 'queue'), sending: join(root, 'sending'), failed: join(root, 'failed') };
}

function ensureDirs(profileDir: string): ReturnType<typeof dirs> {
  const all = dirs(profileDir);
  for (const dir of Object.values(all)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return all;
}

/** A key as a file name: anything but letters, digits, `.`, `_` and `-` becomes `_`. */
function fileKey(incident: string): string {
  return incident.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 150);
}

export function newEvent(profile: string, incident: string, state: AlertState, raise: Omit<AlertRaise, 'oneShot'>): AlertEvent {
  return { id: `al_${randomUUID()}`, state, incident, severity: raise.severity, title: raise.title, message: raise.message, profile, host: hostname(), at: new Date().toISOString() };
}

/** Alerts this process queued: orders two queued in the same millisecond (their ids are random). */
let queuedHere = 0;

/**
 * Put an alert in the queue (a private file, written atomically). Its name sorts by when it was
 * queued: the millisecond, then this process's count (senders take the oldest first).
 */
export function enqueue(profileDir: string, event: AlertEvent): void {
  const { queue } = ensureDirs(profileDir);
  queuedHere += 1;
  writeJsonFile(join(queue, `${Date.now().toString().padStart(15, '0')}-${queuedHere.toString().padStart(9, '0')}-${event.id}.json`), event);
}

/**
 * Open an incident; true only for the raiser that opened it, whose alert is then queued (when
 * `queue`: alerts are configured). Unconfigured, the incident is still recorded for status.
 */
export function openIncident(profileDir: string, profile: string, incident: string, raise: AlertRaise, queue = true): boolean {
  const { open } = ensureDirs(profileDir);
  const record: IncidentRecord = { ...raise, incident, openedAt: new Date().toISOString() };
  try {
    writeFileSync(join(open, `${fileKey(incident)}.json`), `${JSON.stringify(record)}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if (isErrnoException(error, 'EEXIST')) return false;
    throw error;
  }
  if (queue) enqueue(profileDir, newEvent(profile, incident, 'firing', raise));
  return true;
}

/** Close an incident; true (and a `resolved` alert queued) only for the one that closed it. */
export function resolveIncident(profileDir: string, profile: string, incident: string, message: string, queue = true): boolean {
  const file = join(dirs(profileDir).open, `${fileKey(incident)}.json`);
  const record = readIncident(file);
  if (record === null || record.oneShot === true) return false;
  const claimed = `${file}.closing-${process.pid}-${randomUUID()}`;
  try {
    renameSync(file, claimed); // only one closer wins the rename
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return false;
    throw error;
  }
  rmSync(claimed, { force: true });
  if (queue) enqueue(profileDir, newEvent(profile, incident, 'resolved', { severity: 'info', title: `resolved: ${record.title}`, message }));
  return true;
}

function readIncident(file: string): IncidentRecord | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as IncidentRecord;
  } catch {
    return null; // missing, or torn by a crash mid-write: treated as not open
  }
}

/** Conditions open now (one-shot events left out), oldest first. */
export function openIncidents(profileDir: string): IncidentRecord[] {
  return listJson(dirs(profileDir).open)
    .map((name) => readIncident(join(dirs(profileDir).open, name)))
    .filter((r): r is IncidentRecord => r !== null && r.oneShot !== true)
    .sort((a, b) => a.openedAt.localeCompare(b.openedAt));
}

/** Forget one-shot markers older than a week (they only keep an event from being sent twice). */
export function pruneOneShots(profileDir: string, now = Date.now()): void {
  const { open } = dirs(profileDir);
  for (const name of listJson(open)) {
    const record = readIncident(join(open, name));
    if (record?.oneShot === true && now - Date.parse(record.openedAt) > ONE_SHOT_KEEP_MS) rmSync(join(open, name), { force: true });
  }
}

function listJson(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return [];
    throw error;
  }
}

export interface Claimed {
  readonly event: AlertEvent;
  readonly file: string;
  readonly name: string;
  readonly queuedAt: number;
}

/**
 * Take the oldest queued alert for sending; null when the queue is empty. `owner` (pid-starttime of
 * the sender) is kept in the claimed file's name, so a claim whose sender died can be given back.
 */
export function claimNext(profileDir: string, owner: string): Claimed | null {
  const { queue, sending } = ensureDirs(profileDir);
  for (const name of listJson(queue)) {
    const file = join(sending, `${name}.${owner}`);
    try {
      renameSync(join(queue, name), file);
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) continue; // another sender took it
      throw error;
    }
    try {
      return { event: JSON.parse(readFileSync(file, 'utf8')) as AlertEvent, file, name, queuedAt: Number(name.slice(0, 15)) };
    } catch {
      renameSync(file, join(dirs(profileDir).failed, name)); // not an alert we can read: kept, never retried
    }
  }
  return null;
}

/** Sent: the claim is done. */
export function settleSent(claimed: Claimed): void {
  rmSync(claimed.file, { force: true });
}

/** Not sent this time: back in the queue, in its place. */
export function putBack(profileDir: string, claimed: Claimed): void {
  renameSync(claimed.file, join(dirs(profileDir).queue, claimed.name));
}

/** Given up: kept in alerts/failed/ for a person to read. */
export function giveUp(profileDir: string, claimed: Claimed): void {
  renameSync(claimed.file, join(dirs(profileDir).failed, claimed.name));
}

/** Alerts a sender that died left claimed: back to the queue. Only for owners known to be gone. */
export function reclaimOrphans(profileDir: string, isOwnerAlive: (owner: string) => boolean): number {
  const { sending, queue } = ensureDirs(profileDir);
  let reclaimed = 0;
  for (const name of readdirSync(sending)) {
    const match = /^(.+\.json)\.(\d+-\d+)$/.exec(name);
    if (match === null || isOwnerAlive(match[2] as string)) continue;
    try {
      renameSync(join(sending, name), join(queue, match[1] as string));
      reclaimed += 1;
    } catch (error) {
      if (!isErrnoException(error, 'ENOENT')) throw error;
    }
  }
  return reclaimed;
}

export function queuedCount(profileDir: string): number {
  return listJson(dirs(profileDir).queue).length;
}
