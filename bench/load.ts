// The load generator, run as a child process of the benchmark (so its event loop is neither the
// gateway's nor the orchestrator's). It keeps `connections` keep-alive connections busy against
// 127.0.0.1, alternating GET /healthz and POST /v1/sessions/{id}/messages, each connection at a
// fixed pace, until it is told to stop or its own deadline passes; then it sends every sample back
// over IPC and exits. Nothing is retried: a refused or reset request is recorded and the connection
// waits for its next slot, so the request rate stays bounded whatever the server does.
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { now } from './clock.js';
import type { Sample } from './measure.js';

export interface LoadConfig {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly token: string | null;
  readonly connections: number;
  /** Each connection sends one request every intervalMs (or as soon as the previous answered, if later). */
  readonly intervalMs: number;
  /** Hard bound on the run, whatever the parent says. */
  readonly maxDurationMs: number;
  readonly requestTimeoutMs: number;
  /** false: a new connection for every request (what a client that does not pool does). */
  readonly keepAlive?: boolean;
}

export type LoadToParent =
  | { readonly type: 'started'; readonly at: number }
  | {
    readonly type: 'tick'; readonly lastOkEnd: number | null; readonly lastFailEnd: number | null; readonly count: number;
    /** Each pid that answered /healthz, with the time of its latest answer. */
    readonly servedBy: Array<[number, number]>;
  }
  | { readonly type: 'done'; readonly samples: Sample[]; readonly startedAt: number; readonly stoppedAt: number };

export type ParentToLoad = { readonly type: 'stop' };

function parseConfig(): LoadConfig {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: load.js <json config>');
  const config = JSON.parse(raw) as LoadConfig;
  const { hostname } = new URL(config.url);
  if (hostname !== '127.0.0.1') throw new Error(`the load generator only talks to 127.0.0.1, not ${hostname}`);
  return config;
}

function send(message: LoadToParent): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(message, () => resolve());
  });
}

function once(agent: Agent, config: LoadConfig, route: Sample['route'], lane: number, n: number): Promise<Sample> {
  const url = new URL(route === 'healthz' ? '/healthz' : `/v1/sessions/bench-${lane}/messages`, config.url);
  const body = route === 'message' ? JSON.stringify({ text: `bench ${lane}.${n}` }) : null;
  const headers: Record<string, string> = {};
  if (body !== null) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  if (config.token !== null) headers.authorization = `Bearer ${config.token}`;
  const start = now();
  return new Promise<Sample>((resolve) => {
    let settled = false;
    const finish = (status: number | null, error: string | null, servedBy: number | null): void => {
      if (settled) return;
      settled = true;
      resolve({ start, end: now(), route, status, error, servedBy });
    };
    const req = request(url, { method: body === null ? 'GET' : 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e: NodeJS.ErrnoException) => finish(null, e.code ?? 'ERROR', null));
      res.on('end', () => {
        let servedBy: number | null = null;
        if (route === 'healthz') {
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { workerPid?: unknown; pid?: unknown };
            const pid = parsed.workerPid ?? parsed.pid; // Gatehouse names its worker; the plain app its own pid
            if (typeof pid === 'number') servedBy = pid;
          } catch { /* not JSON: no pid */ }
        }
        finish(res.statusCode ?? null, null, servedBy);
      });
    });
    req.setTimeout(config.requestTimeoutMs, () => {
      finish(null, 'TIMEOUT', null);
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish(null, e.code ?? 'ERROR', null));
    req.end(body ?? undefined);
  });
}

async function main(): Promise<void> {
  const config = parseConfig();
  const keepAlive = config.keepAlive !== false;
  const agent = new Agent({ keepAlive, maxSockets: config.connections, ...(keepAlive ? { maxFreeSockets: config.connections } : {}) });
  const samples: Sample[] = [];
  const startedAt = now();
  const hardDeadline = startedAt + config.maxDurationMs;
  let stopping = false;
  let lastOkEnd: number | null = null;
  let lastFailEnd: number | null = null;
  const servedBy = new Map<number, number>();
  process.on('message', (message: ParentToLoad) => { if (message.type === 'stop') stopping = true; });
  // The parent died: stop at once rather than load a server nobody measures.
  process.on('disconnect', () => { stopping = true; });

  const lane = async (index: number): Promise<void> => {
    let next = now() + (config.intervalMs * index) / config.connections; // spread the lanes over one interval
    for (let n = 0; !stopping && now() < hardDeadline; n++) {
      const wait = next - now();
      if (wait > 0) await sleep(wait);
      if (stopping) break;
      const sample = await once(agent, config, (n + index) % 2 === 0 ? 'healthz' : 'message', index, n);
      samples.push(sample);
      const ok = sample.status === 200 || sample.status === 202;
      if (ok) lastOkEnd = Math.max(lastOkEnd ?? 0, sample.end);
      if (ok && sample.servedBy !== null) servedBy.set(sample.servedBy, sample.end);
      else lastFailEnd = Math.max(lastFailEnd ?? 0, sample.end);
      next = Math.max(next + config.intervalMs, now());
    }
  };

  await send({ type: 'started', at: startedAt });
  const ticker = setInterval(() => { void send({ type: 'tick', lastOkEnd, lastFailEnd, count: samples.length, servedBy: [...servedBy] }); }, 50);
  await Promise.all(Array.from({ length: config.connections }, (_, i) => lane(i)));
  clearInterval(ticker);
  const stoppedAt = now();
  agent.destroy();
  await send({ type: 'done', samples, startedAt, stoppedAt });
  process.disconnect?.();
}

main().catch((error: unknown) => {
  process.stderr.write(`load generator failed: ${String(error)}\n`);
  process.exit(1);
});
