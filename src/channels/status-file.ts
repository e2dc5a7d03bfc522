// <profile>/channels.json: the worker's record of its chat channels, rewritten (atomically) at
// most once a second and at every state change, so `gatehouse status` can show the channels with a
// file read: no SQLite in the CLI, no round trip to the worker, and an answer even when the worker
// is wedged or gone (a gateway that is not running shows them as stopped).
import { join } from 'node:path';
import { errorMessage, isErrnoException } from '../errors.js';
import type { ChannelSnapshot, SnapshotRead } from './telegram/status-read.js';

const { readFileSync } = process.getBuiltinModule('node:fs');

export const CHANNELS_FILE = 'channels.json';

export interface ChannelsFile {
  readonly writtenAt: string;
  readonly workerPid: number;
  readonly channels: readonly ChannelSnapshot[];
}

export function channelsFilePath(profileDir: string): string {
  return join(profileDir, CHANNELS_FILE);
}

/** Read the file; lag figures are brought up to now (the file may be a second old). */
export function readChannelsFile(profileDir: string, now: number = Date.now()): SnapshotRead {
  const file = channelsFilePath(profileDir);
  let data: ChannelsFile;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as ChannelsFile;
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return { ok: true, channels: [] };
    return { ok: false, reason: `cannot read ${file}: ${errorMessage(error)}` };
  }
  if (typeof data !== 'object' || data === null || !Array.isArray(data.channels)) return { ok: false, reason: `${file} is not a channels record` };
  return {
    ok: true,
    channels: data.channels.map((c) => ({ ...c, pollLagMs: c.lastPollAt === null ? null : Math.max(0, now - Date.parse(c.lastPollAt)) })),
  };
}
