// state.json: what the monitor last said about itself, with a timestamp. Status compares it with
// what it observes; a stale or corrupt state file is reported, never trusted blindly.
import { readJsonFile, writeJsonFile, type JsonRead } from '../fs-util.js';
import { boolean, integer, nullable, number, object, oneOf, shape, string } from '../shape.js';

export const GATEWAY_STATES = ['starting', 'running', 'draining', 'stopped', 'crashed'] as const;
export type GatewayState = (typeof GATEWAY_STATES)[number];

export interface WorkerExit {
  code: number | null;
  signal: string | null;
  at: string;
  reason: string;
}

export interface StateRecord {
  state: GatewayState;
  pid: number;
  startTime: number;
  instance: string;
  startedAt: string;
  updatedAt: string;
  api: { url: string } | null;
  worker: { pid: number; startTime: number } | null;
  /** The warm standby worker (booting or ready), not serving. */
  standby: { pid: number; startTime: number; ready: boolean } | null;
  /** Why the gateway is in this state, when that is not obvious (stop reason, fatal error). */
  reason: string | null;
  restarts: number;
  lastWorkerExit: WorkerExit | null;
  detached: boolean;
}

const workerExitCheck = object({ code: nullable(number), signal: nullable(string), at: string, reason: string });

export const stateRecordSchema = shape<StateRecord>(object({
  state: oneOf(GATEWAY_STATES),
  pid: integer,
  startTime: number,
  instance: string,
  startedAt: string,
  updatedAt: string,
  api: nullable(object({ url: string })),
  worker: nullable(object({ pid: integer, startTime: number })),
  standby: nullable(object({ pid: integer, startTime: number, ready: boolean })),
  reason: nullable(string),
  restarts: integer,
  lastWorkerExit: nullable(workerExitCheck),
  detached: boolean,
}, { defaults: { restarts: 0, lastWorkerExit: null, standby: null } }));

export function readStateFile(path: string): JsonRead<StateRecord> {
  return readJsonFile(path, stateRecordSchema);
}

export function writeStateFile(path: string, record: StateRecord): void {
  writeJsonFile(path, record);
}
