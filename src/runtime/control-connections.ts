// Bounds on the control endpoint's connections. Any local user can connect to it (Linux abstract
// socket, Windows pipe), and Node cannot tell who a Unix-socket peer is, so the bound is overall:
// a connection must finish each step of the handshake within CONTROL_IDLE_TIMEOUT_MS, and past
// MAX_CONTROL_CONNECTIONS the oldest connection still waiting to speak makes room for the new one
// (one still running a command is never cut). Idle connections thus hold at most a fixed number of
// descriptors, and the real CLI, which answers within milliseconds, still gets through.
import type { Socket } from 'node:net';

/** Open control connections at once; a CLI call needs one for a few milliseconds. */
export const MAX_CONTROL_CONNECTIONS = 128;
/** How long a connection may sit without sending its next request (hello, then the command). */
export const CONTROL_IDLE_TIMEOUT_MS = 5_000;

export class ConnectionBounds {
  /** Connections waiting for the peer's next line, oldest first (a Map keeps insertion order). */
  private readonly waiting = new Map<Socket, NodeJS.Timeout>();
  private readonly running = new Set<Socket>();

  constructor(private readonly max = MAX_CONTROL_CONNECTIONS, private readonly idleMs = CONTROL_IDLE_TIMEOUT_MS) {}

  get size(): number {
    return this.waiting.size + this.running.size;
  }

  /** Take a new connection, evicting the oldest waiting one when full; false when it was refused. */
  admit(socket: Socket): boolean {
    if (this.size >= this.max) {
      const oldest = this.waiting.keys().next().value;
      if (oldest === undefined) {
        socket.destroy(); // every slot runs a command: the newcomer waits for none of them
        return false;
      }
      this.forget(oldest);
      oldest.destroy();
    }
    socket.once('close', () => this.forget(socket));
    this.idle(socket);
    return true;
  }

  /** The connection now waits for the peer: it has idleMs, and counts as the newest. */
  idle(socket: Socket): void {
    this.forget(socket);
    const timer = setTimeout(() => socket.destroy(), this.idleMs);
    timer.unref();
    this.waiting.set(socket, timer);
  }

  /** A command runs on it: never evicted, no idle timer until it is answered and closed. */
  busy(socket: Socket): void {
    this.forget(socket);
    this.running.add(socket);
  }

  private forget(socket: Socket): void {
    clearTimeout(this.waiting.get(socket));
    this.waiting.delete(socket);
    this.running.delete(socket);
  }
}
