// The PID file: who the running monitor is, for tools that cannot speak the control protocol.
// It is never the authority (the control endpoint is); it is checked against the OS before use
// (identity.ts). Apart from the checks so that reading it loads no process layer: `status` reads it
// on every call, and asks the OS about it only when the control endpoint does not answer.
import { readJsonFile, writeJsonFile, type JsonRead } from '../fs-util.js';
import { arrayOf, literal, nonEmptyString, nonNegativeInteger, number, object, positiveInteger, shape, string } from '../shape.js';

const { rmSync } = process.getBuiltinModule('node:fs');

export interface PidRecord {
  readonly kind: 'gatehouse-monitor';
  readonly pid: number;
  readonly startTime: number;
  /** Linux: start ticks since boot (ProcessIdentity.startTicks); absent in files older than it. */
  readonly startTicks?: number;
  readonly instance: string;
  readonly argv: string[];
  readonly version: string;
  readonly profile: string;
}

export const pidRecordSchema = shape<PidRecord>(object({
  kind: literal('gatehouse-monitor'),
  pid: positiveInteger,
  startTime: number,
  startTicks: nonNegativeInteger,
  instance: nonEmptyString,
  argv: arrayOf(string),
  version: string,
  profile: string,
}, { optional: ['startTicks'] }));

export function readPidFile(path: string): JsonRead<PidRecord> {
  return readJsonFile(path, pidRecordSchema);
}

export function writePidFile(path: string, record: PidRecord): void {
  writeJsonFile(path, record);
}

/** Remove the PID file only when it still names this instance (a successor may have written its own). */
export function removePidFileIfOwned(path: string, instance: string): void {
  const current = readPidFile(path);
  if (current.kind === 'ok' && current.value.instance !== instance) return;
  rmSync(path, { force: true });
}
