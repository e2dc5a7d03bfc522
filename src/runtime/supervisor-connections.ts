// Handing the monitor's accepted connections to the serving worker: none is refused while no worker
// is ready (they wait, up to MAX_PENDING_CONNECTIONS), and none is lost when a worker dies with
// connections it never took (the monitor keeps its copy of each until the worker acknowledges it).
import type { Socket } from 'node:net';
import { answerWithoutWorker, type MonitorAnswerContext } from './no-worker-answer.js';
import type { WorkerHandle } from './worker-handle.js';

/** Connections accepted while no worker is ready wait here; past this many, new ones are closed. */
export const MAX_PENDING_CONNECTIONS = 1024;

export interface HandoverState {
  /** The worker that takes new connections, if any. */
  serving(): WorkerHandle | null;
  /** The gateway is stopping: nothing waits any more. */
  stopping(): boolean;
  /** While the crash-loop breaker is open (until then), the monitor answers clients itself. */
  breakerUntil(): number | null;
  answerContext(): MonitorAnswerContext | null;
}

export class ConnectionHandover {
  private readonly pending: Socket[] = [];
  private nextConnection = 1;

  constructor(private readonly state: HandoverState) {}

  /** Hand an accepted (paused) connection to the serving worker, or hold it until one serves. */
  forward(socket: Socket): void {
    const worker = this.state.serving();
    if (worker === null || !worker.process.connected) {
      this.hold(socket);
      return;
    }
    // The monitor keeps its copy until the worker acknowledges (connection_ack). Node sends handles
    // one at a time and silently drops the ones still queued when the child dies; a copy we still
    // hold is handed to the next worker instead of hanging its client forever.
    const id = this.nextConnection++;
    worker.unacked.set(id, socket);
    worker.process.sendConnection(id, socket, (error) => {
      if (error === null || !worker.unacked.delete(id)) return;
      // Never forward again from here: that worker may still be serving until its exit is processed.
      if (!worker.process.connected) this.hold(socket);
      else socket.destroy();
    });
  }

  /** A worker now serves: it takes every connection that waited. */
  release(): void {
    for (const socket of this.pending.splice(0)) this.forward(socket);
  }

  /** A worker is gone: the connections it never acknowledged go to the next one. */
  reclaim(worker: WorkerHandle): void {
    const untaken = [...worker.unacked.values()];
    worker.unacked.clear();
    for (const socket of untaken) this.forward(socket);
  }

  /** The breaker opened: minutes without a worker, so waiting clients get the truth now instead of a timeout later. */
  answerWaiting(until: number): void {
    for (const socket of this.pending.splice(0)) answerWithoutWorker(socket, until, this.state.answerContext());
  }

  closeAll(): void {
    for (const socket of this.pending.splice(0)) socket.destroy();
  }

  private hold(socket: Socket): void {
    const until = this.state.breakerUntil();
    if (this.state.stopping() || this.pending.length >= MAX_PENDING_CONNECTIONS) socket.destroy();
    else if (until !== null) answerWithoutWorker(socket, until, this.state.answerContext());
    else this.pending.push(socket);
  }
}
