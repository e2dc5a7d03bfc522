// state.json: what the monitor last said about itself, with a timestamp. Status compares it with
// what it observes; a stale or corrupt state file is reported, never trusted blindly.
import { z } from 'zod';
import { readJsonFile, writeJsonFile, type JsonRead } from '../fs-util.js';

export const GATEWAY_STATES = ['starting', 'running', 'draining', 'stopped', 'crashed'] as const;
export type GatewayState = (typeof GATEWAY_STATES)[number];

const workerExitSchema = z.object({
  code: z.number().nullable(),
  signal: z.string().nullable(),
  at: z.string(),
  reason: z.string(),
});

export const stateRecordSchema = z.object({
  state: z.enum(GATEWAY_STATES),
  pid: z.number().int(),
  startTime: z.number(),
  instance: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  api: z.object({ url: z.string() }).nullable(),
  worker: z.object({ pid: z.number().int(), startTime: z.number() }).nullable(),
  /** Why the gateway is in this state, when that is not obvious (stop reason, fatal error). */
  reason: z.string().nullable(),
  restarts: z.number().int().default(0),
  lastWorkerExit: workerExitSchema.nullable().default(null),
  detached: z.boolean(),
});

export type StateRecord = z.infer<typeof stateRecordSchema>;
export type WorkerExit = z.infer<typeof workerExitSchema>;

export function readStateFile(path: string): JsonRead<StateRecord> {
  return readJsonFile(path, stateRecordSchema);
}

export function writeStateFile(path: string, record: StateRecord): void {
  writeJsonFile(path, record);
}
