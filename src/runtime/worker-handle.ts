// One worker child as the monitor sees it: the process, its identity, and what it reported. The
// process itself comes from a WorkerSpawner (the real child here; a test's in-process fake), so the
// bookkeeping below (ready, acknowledged connections, drain progress) is the same for both.
import type { Socket } from 'node:net';
import { describeExit } from '../exit-codes.js';
import { platform } from '../platform/index.js';
import { spawnWorkerProcess } from '../platform/spawn.js';
import type { Clock } from './backoff.js';
import { isWorkerMessage, type DrainMode, type MonitorToWorker, type WorkerToMonitor } from './ipc.js';
import type { SentMessage } from './protocol.js';
import type { Logger } from './json-log.js';
import { killProcessTree } from './process-tree.js';
import { relayToOwnOutput, type OutputCapture } from './worker-output.js';
import type { WorkerExit } from './state-file.js';
import type { InputStamp } from './worker-inputs.js';
import type { SupervisorClock } from './supervisor-types.js';
import type { RelayedOutcome } from '../gateway/accept.js';

/** After its drain deadline, a worker gets this long to exit before it is killed. */
export const DRAIN_EXIT_GRACE_MS = 5_000;

export interface SpawnSpec {
  readonly entry: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Where the worker's stdout and stderr go (the monitor's gateway log); default: this process's own. */
  readonly output?: OutputCapture;
}

/** What a worker process tells the supervisor. */
export interface WorkerEvents {
  message(message: unknown): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  /** The process never started (no exit follows). */
  failedToStart(error: Error): void;
}

/** The supervisor's view of a worker process: what it can ask of it and nothing more. */
export interface WorkerProcess {
  /** -1 when the process never started. */
  readonly pid: number;
  readonly startTime: number;
  /** The IPC channel is open: messages and connections can still reach it. */
  readonly connected: boolean;
  send(message: MonitorToWorker): void;
  /** Hand over a connection; done(error) once it is sent, or could not be. */
  sendConnection(id: number, socket: Socket, done: (error: Error | null) => void): void;
  /** SIGKILL the process and everything it started. */
  kill(): void;
}

export type WorkerSpawner = (spec: SpawnSpec, events: WorkerEvents) => WorkerProcess;

/** The real worker: a child process of the monitor with an IPC channel. */
export const spawnChildWorker: WorkerSpawner = (spec, events) => {
  const child = spawnWorkerProcess(spec.entry, spec.args, { env: spec.env, cwd: spec.cwd });
  (spec.output ?? relayToOwnOutput)(child.stdout, child.stderr);
  const pid = child.pid ?? -1;
  const identity = { pid, startTime: platform.processStartTime(pid) ?? Date.now() };
  child.on('message', (message: unknown) => events.message(message));
  child.on('error', (error) => {
    // Spawning failed (no 'exit' follows when the process never started).
    if (child.pid === undefined) events.failedToStart(error);
  });
  child.on('exit', (code, signal) => events.exit(code, signal));
  return {
    ...identity,
    get connected() { return child.connected; },
    send(message) {
      if (!child.connected) return;
      child.send(message, () => { /* a worker that just exited cannot be told anything: its exit is handled */ });
    },
    sendConnection(id, socket, done) {
      // keepOpen: the monitor keeps its copy until the worker acknowledges (connection_ack).
      child.send({ type: 'connection', id }, socket, { keepOpen: true }, (error) => done(error ?? null));
    },
    kill() { killProcessTree(identity, 'SIGKILL'); },
  };
};

export interface WorkerHandle {
  readonly process: WorkerProcess;
  readonly pid: number;
  readonly startTime: number;
  readonly startedAt: number;
  ready: boolean;
  /** When it began to serve (promoted), for the backoff's healthy run; null while it only waits. */
  servingSince: number | null;
  drained: Extract<WorkerToMonitor, { type: 'drained' }> | null;
  inFlightAtDrain: number | null;
  /** Connections sent but not yet acknowledged: the monitor keeps its copy until the worker owns them. */
  readonly unacked: Map<number, Socket>;
  /** Resolves with null once ready, or with the exit if it died first. */
  readonly readyOrExit: Promise<WorkerExit | null>;
  readonly exited: Promise<WorkerExit>;
  /** Set once it exited. */
  exit: WorkerExit | null;
  /** What it read its behaviour from (config.json, a module agent), as it was then; said with `ready`. */
  inputs: readonly InputStamp[];
  /** Pings waiting for their pong, by id. */
  readonly pongs: Map<number, () => void>;
  /** Relayed messages (the control endpoint's `send`) waiting for the worker's outcome, by id. */
  readonly accepts: Map<number, (outcome: RelayOutcome) => void>;
  send(message: MonitorToWorker): void;
}

export function openWorker(
  spawner: WorkerSpawner,
  spec: SpawnSpec,
  clock: Clock,
  onMessage: (handle: WorkerHandle, message: WorkerToMonitor) => void,
  onExit: (handle: WorkerHandle, exit: WorkerExit) => void,
): WorkerHandle {
  let settleExit: (exit: WorkerExit) => void = () => {};
  let settleReady: (exit: WorkerExit | null) => void = () => {};
  const exited = new Promise<WorkerExit>((resolve) => { settleExit = resolve; });
  const readyOrExit = new Promise<WorkerExit | null>((resolve) => { settleReady = resolve; });
  let handle: WorkerHandle | null = null;
  const ended = (exit: WorkerExit): void => {
    if (handle === null || handle.exit !== null) return;
    handle.exit = exit;
    settleReady(exit);
    // Whether it committed them first is unknown: the sender retries with its key, which makes it a replay if so.
    for (const answer of handle.accepts.values()) answer({ kind: 'unavailable', reason: `the worker exited (${exit.reason}) before it answered` });
    handle.accepts.clear();
    onExit(handle, exit);
    settleExit(exit);
  };
  const events: WorkerEvents = {
    message(message) {
      if (handle === null || !isWorkerMessage(message)) return;
      track(handle, message, () => settleReady(null));
      onMessage(handle, message);
    },
    exit(code, signal) {
      ended({ code, signal, at: new Date(clock.now()).toISOString(), reason: describeExit(code, signal) });
    },
    failedToStart(error) {
      ended({ code: null, signal: null, at: new Date(clock.now()).toISOString(), reason: `could not start: ${error.message}` });
    },
  };
  const process = spawner(spec, events);
  handle = {
    process, pid: process.pid, startTime: process.startTime, startedAt: clock.now(), servingSince: null,
    ready: false, drained: null, inFlightAtDrain: null, unacked: new Map(), readyOrExit, exited, exit: null, pongs: new Map(), accepts: new Map(), inputs: [],
    send: (message) => process.send(message),
  };
  return handle;
}

/** Keep what the worker reported on its handle. */
function track(handle: WorkerHandle, message: WorkerToMonitor, becameReady: () => void): void {
  if (message.type === 'ready') {
    handle.ready = true;
    handle.inputs = message.inputs ?? [];
    becameReady();
  } else if (message.type === 'connection_ack') {
    // The worker holds its own descriptor: closing ours does not close the connection.
    handle.unacked.get(message.id)?.destroy();
    handle.unacked.delete(message.id);
  } else if (message.type === 'drain_begin') {
    handle.inFlightAtDrain = message.inFlight;
  } else if (message.type === 'drained') {
    handle.drained = message;
  } else if (message.type === 'pong') {
    handle.pongs.get(message.id)?.();
    handle.pongs.delete(message.id);
  } else if (message.type === 'accepted') {
    handle.accepts.get(message.id)?.(message.outcome);
    handle.accepts.delete(message.id);
  }
}

let nextPing = 1;

/** How long the worker took to answer a ping (ms, one decimal), or null when it did not within timeoutMs. */
export function pingWorker(worker: WorkerHandle, timeoutMs: number, clock: SupervisorClock): Promise<number | null> {
  const id = nextPing++;
  // process.hrtime, not performance.now(): node:perf_hooks loads eleven internal modules into the monitor.
  const started = process.hrtime.bigint();
  return new Promise<number | null>((resolve) => {
    const cancel = clock.after(timeoutMs, () => { worker.pongs.delete(id); resolve(null); });
    worker.pongs.set(id, () => { cancel(); resolve(Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10); });
    worker.send({ type: 'ping', id });
  });
}

/** A relayed message's end: the worker's outcome, or no answer (it exited, or took too long). */
export type RelayOutcome = RelayedOutcome | { readonly kind: 'unavailable'; readonly reason: string };

let nextAccept = 1;

/** Pass a message from the control endpoint's `send` to the worker, and wait (at most timeoutMs) for what it made of it. */
export function relayMessage(worker: WorkerHandle, message: SentMessage, timeoutMs: number, clock: SupervisorClock): Promise<RelayOutcome> {
  const id = nextAccept++;
  return new Promise<RelayOutcome>((resolve) => {
    const cancel = clock.after(timeoutMs, () => {
      worker.accepts.delete(id);
      resolve({ kind: 'unavailable', reason: `the worker did not answer within ${timeoutMs} ms` });
    });
    worker.accepts.set(id, (outcome) => { cancel(); resolve(outcome); });
    worker.send({ type: 'accept', id, ...message });
  });
}

/** Ask the worker to drain; kill it if it has not exited DRAIN_EXIT_GRACE_MS after its deadline. */
export async function drainWorker(worker: WorkerHandle, timeoutMs: number, mode: DrainMode, clock: SupervisorClock, log: Logger): Promise<{ killed: boolean }> {
  worker.send({ type: 'drain', timeoutMs, mode });
  let cancel = (): void => {};
  const late = new Promise<'late'>((resolve) => { cancel = clock.after(timeoutMs + DRAIN_EXIT_GRACE_MS, () => resolve('late'), true); });
  const first = await Promise.race([worker.exited, late]);
  cancel();
  if (first !== 'late') return { killed: false };
  log.warn({ workerPid: worker.pid }, 'worker did not exit after its drain deadline; killing it');
  worker.process.kill();
  await worker.exited;
  return { killed: true };
}
