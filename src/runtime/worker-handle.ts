// One worker child as the monitor sees it: the process, its identity, and what it reported.
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { describeExit } from '../exit-codes.js';
import { platform } from '../platform/index.js';
import { spawnWorkerProcess } from '../platform/spawn.js';
import { isWorkerMessage, type MonitorToWorker, type WorkerToMonitor } from './ipc.js';
import type { WorkerExit } from './state-file.js';

export interface WorkerHandle {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startTime: number;
  readonly startedAt: number;
  ready: boolean;
  drained: Extract<WorkerToMonitor, { type: 'drained' }> | null;
  inFlightAtDrain: number | null;
  /** Connections sent but not yet acknowledged: the monitor keeps its copy until the worker owns them. */
  readonly unacked: Map<number, Socket>;
  /** Resolves with null once ready, or with the exit if it died first. */
  readonly readyOrExit: Promise<WorkerExit | null>;
  readonly exited: Promise<WorkerExit>;
  send(message: MonitorToWorker): void;
}

interface SpawnSpec {
  readonly entry: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export function spawnWorker(
  spec: SpawnSpec,
  onMessage: (handle: WorkerHandle, message: WorkerToMonitor) => void,
  onExit: (handle: WorkerHandle, exit: WorkerExit) => void,
): WorkerHandle {
  const child = spawnWorkerProcess(spec.entry, spec.args, { env: spec.env, cwd: spec.cwd });
  const pid = child.pid ?? -1;
  let settleExit: (exit: WorkerExit) => void = () => {};
  let settleReady: (exit: WorkerExit | null) => void = () => {};
  const exited = new Promise<WorkerExit>((resolve) => { settleExit = resolve; });
  const readyOrExit = new Promise<WorkerExit | null>((resolve) => { settleReady = resolve; });
  const handle: WorkerHandle = {
    child, pid, startTime: platform.processStartTime(pid) ?? Date.now(), startedAt: Date.now(),
    ready: false, drained: null, inFlightAtDrain: null, unacked: new Map(), readyOrExit, exited,
    send(message) {
      if (!child.connected) return;
      child.send(message, () => { /* a worker that just exited cannot be told anything: its exit is handled */ });
    },
  };
  child.on('message', (message: unknown) => {
    if (!isWorkerMessage(message)) return;
    if (message.type === 'ready') {
      handle.ready = true;
      settleReady(null);
    } else if (message.type === 'connection_ack') {
      // The worker holds its own descriptor: closing ours does not close the connection.
      handle.unacked.get(message.id)?.destroy();
      handle.unacked.delete(message.id);
    } else if (message.type === 'drain_begin') {
      handle.inFlightAtDrain = message.inFlight;
    } else if (message.type === 'drained') {
      handle.drained = message;
    }
    onMessage(handle, message);
  });
  child.on('error', (error) => {
    // Spawning failed (no 'exit' follows when the process never started).
    if (child.pid !== undefined) return;
    const exit: WorkerExit = { code: null, signal: null, at: new Date().toISOString(), reason: `could not start: ${error.message}` };
    settleReady(exit);
    onExit(handle, exit);
    settleExit(exit);
  });
  child.on('exit', (code, signal) => {
    const exit: WorkerExit = { code, signal, at: new Date().toISOString(), reason: describeExit(code, signal) };
    settleReady(exit);
    onExit(handle, exit);
    settleExit(exit);
  });
  return handle;
}
