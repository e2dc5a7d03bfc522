// In-process stand-ins for what the supervisor drives: a worker process that speaks the worker's
// side of the IPC protocol (ready, connection_ack, drain -> drained -> exit 0, resume -> resumed,
// ping -> pong) and keeps the state a real worker would (the connections it owns, whether it
// resumed, whether it drained), and a clock whose timers run only when the test advances it.
// Events are delivered on a later turn (setImmediate), as a child's IPC messages are.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import type { MonitorToWorker, WorkerToMonitor } from '../../src/runtime/ipc.js';
import type { SupervisorClock } from '../../src/runtime/supervisor-types.js';
import type { InputStamp } from '../../src/runtime/worker-inputs.js';
import type { SpawnSpec, WorkerEvents, WorkerProcess, WorkerSpawner } from '../../src/runtime/worker-handle.js';

export class FakeClock implements SupervisorClock {
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  constructor(public t = 1_000_000) {}

  now(): number { return this.t; }

  after(ms: number, fn: () => void): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return () => { this.timers = this.timers.filter((timer) => timer.id !== id); };
  }

  /** Timers still waiting, by how long from now. */
  pendingDelays(): number[] {
    return this.timers.map((timer) => timer.at - this.t).sort((a, b) => a - b);
  }

  /** Move time on, running each timer that comes due (in order), with the turns their work takes. */
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    await settle(); // what already happened is seen before time moves
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
      await settle();
    }
    this.t = until;
    await settle();
  }
}

/** Let every pending event and promise continuation run. */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await turn();
}

let nextPid = 50_000;

export interface FakeWorkerOptions {
  /** Reports ready on its own right after it starts (a normal boot). */
  readonly autoReady?: boolean;
  /** Does not acknowledge the connections it is sent (a worker about to die). */
  readonly ignoreConnections?: boolean;
  /** Exits with this code right after it starts (a broken config: 78). */
  readonly exitAtBoot?: number;
  /** On a drain, keeps finishing its work until the test calls finishDrain() (a long answer). */
  readonly slowDrain?: boolean;
  /** The files it says it read at boot (config.json), with `ready`. */
  readonly inputs?: readonly InputStamp[];
}

export class FakeWorker implements WorkerProcess {
  readonly pid = nextPid++;
  readonly startTime = Date.now();
  connected = true;
  /** Every message the monitor sent, in order. */
  readonly received: MonitorToWorker[] = [];
  /** The connections it acknowledged, as the worker's HTTP server would own them. */
  readonly connections: Socket[] = [];
  resumed = 0;
  drainedAs: string | null = null;
  /** Messages it holds in flight (for drain_begin and drained), set by the test. */
  inFlight = 0;

  constructor(private readonly events: WorkerEvents, private readonly options: FakeWorkerOptions) {
    if (options.exitAtBoot !== undefined) this.later(() => this.exit(options.exitAtBoot ?? 1, null));
    else if (options.autoReady === true) this.ready();
  }

  /** Boot finished: store open, agent ready. */
  ready(): void {
    this.tell({ type: 'ready', inputs: this.options.inputs ?? [] });
  }

  /** Die as a SIGKILL would (or with a code): the channel closes, then the exit is seen. */
  crash(code: number | null = null, signal: NodeJS.Signals | null = 'SIGKILL'): void {
    this.exit(code, signal);
  }

  send(message: MonitorToWorker): void {
    if (!this.connected) return;
    this.received.push(message);
    switch (message.type) {
      case 'resume':
        this.resumed += 1;
        this.tell({ type: 'resumed', resumed: 0, failed: 0 });
        break;
      case 'ping':
        this.tell({ type: 'pong', id: message.id, inFlight: this.inFlight });
        break;
      case 'drain':
        this.drainedAs = message.mode;
        this.tell({ type: 'drain_begin', inFlight: this.inFlight });
        if (this.options.slowDrain !== true) this.finishDrain();
        break;
      default:
        break;
    }
  }

  /** The drain is done: report it and exit 0, as the worker does. */
  finishDrain(): void {
    this.tell({ type: 'drained', completed: this.inFlight, resumePending: 0, timedOut: false });
    this.later(() => this.exit(0, null));
  }

  sendConnection(id: number, socket: Socket, done: (error: Error | null) => void): void {
    if (!this.connected) {
      this.later(() => done(new Error('channel closed')));
      return;
    }
    this.received.push({ type: 'connection', id });
    this.later(() => done(null));
    if (this.options.ignoreConnections === true) return;
    // The real worker gets its own descriptor and the monitor closes its copy on the ack; the fake
    // has only the one socket, so it keeps count of what it owns, not a working connection.
    this.connections.push(socket);
    this.tell({ type: 'connection_ack', id });
  }

  kill(): void {
    this.exit(null, 'SIGKILL');
  }

  private tell(message: WorkerToMonitor): void {
    this.later(() => { if (this.connected) this.events.message(message); });
  }

  private exited = false;
  private exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    this.connected = false;
    this.later(() => this.events.exit(code, signal));
  }

  private later(fn: () => void): void {
    setImmediate(fn);
  }
}

/** A spawner of fake workers that remembers each one, oldest first. */
export class FakeSpawner {
  readonly workers: FakeWorker[] = [];
  readonly specs: SpawnSpec[] = [];
  /** Options for the next spawns, one entry each (then `defaults`). */
  readonly next: FakeWorkerOptions[] = [];
  constructor(public defaults: FakeWorkerOptions = { autoReady: true }) {}

  readonly spawn: WorkerSpawner = (spec, events) => {
    const worker = new FakeWorker(events, this.next.shift() ?? this.defaults);
    this.specs.push(spec);
    this.workers.push(worker);
    return worker;
  };

  get last(): FakeWorker {
    const worker = this.workers.at(-1);
    if (worker === undefined) throw new Error('no worker spawned yet');
    return worker;
  }

  get alive(): FakeWorker[] {
    return this.workers.filter((w) => w.connected);
  }
}

/**
 * A real TCP connection on loopback, as the monitor's listener accepts it: returns the server-side
 * socket (paused, what the supervisor is handed) and the client that reads what comes back.
 */
export async function acceptedConnection(t: TestContext): Promise<{ accepted: Socket; client: Socket; received: () => string; closed: Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = createServer({ pauseOnConnect: true });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  t.after(() => server.close());
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const acceptedP = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(address.port, '127.0.0.1');
  let data = '';
  client.setEncoding('latin1').on('data', (chunk: string) => { data += chunk; });
  client.on('error', () => { /* reset by the test's end */ });
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  const accepted = await acceptedP;
  t.after(() => { client.destroy(); accepted.destroy(); });
  return { accepted, client, received: () => data, closed };
}
