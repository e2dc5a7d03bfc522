// The worker: the gateway itself (store, agent, HTTP API), run as the monitor's child. It serves
// the connections the monitor hands it, drains when asked, and exits at once when the monitor is
// gone (IPC disconnect), so no orphan ever holds the port.
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Channels, gatewayStatusText } from '../channels/index.js';
import { ENV } from '../env.js';
import { GatehouseError, errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { createAgent, type Agent } from '../gateway/agents/index.js';
import type { GatewayConfig } from '../gateway/config.js';
import { loadWorkerConfig } from '../gateway/config-plain.js';
import { acceptRelayed } from '../gateway/accept.js';
import { Dispatcher } from '../gateway/dispatcher.js';
import { GatewayMetrics } from '../gateway/metrics.js';
import { Alerts } from './alerts/index.js';
import { storeFamilies } from '../gateway/store-metrics.js';
import { createApiServer } from '../gateway/http-api.js';
import { DashboardRoutes } from '../gateway/dashboard/routes.js';
import { StatusProbe } from '../gateway/dashboard/status-probe.js';
import { SessionStore } from '../gateway/store.js';
import { StoreHealth } from '../gateway/store-errors.js';
import { readToken } from '../gateway/token.js';
import type { ProfilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import type { DrainMode, MonitorToWorker, WorkerToMonitor } from './ipc.js';
import type { MonitorStats } from './monitor-metrics.js';
import { createJsonLog, type Logger } from './json-log.js';
import { descriptorSink } from './log-sink.js';
import { stampInput } from './worker-inputs.js';

const CONNECTION_POLL_MS = 20;
/** The worker's stdout: a pipe the monitor reads into the gateway log (worker-output.ts). */
const STDOUT_FD = 1;
/** A scrape that waits longer for the monitor's figures goes out without them. */
const MONITOR_STATS_TIMEOUT_MS = 1_000;

const statsWaiters = new Map<number, (stats: MonitorStats) => void>();
let nextStatsRequest = 1;

/** The monitor's figures for a scrape, or null when it does not answer in time. */
function askMonitorStats(): Promise<MonitorStats | null> {
  const id = nextStatsRequest++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => { statsWaiters.delete(id); resolve(null); }, MONITOR_STATS_TIMEOUT_MS);
    statsWaiters.set(id, (stats) => { clearTimeout(timer); resolve(stats); });
    void tell({ type: 'stats_request', id });
  });
}

/** Send to the monitor; resolves once the message is handed to the channel (before an exit). */
function tell(message: WorkerToMonitor): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(message, () => resolve());
  });
}

/** A broken config or an agent module that does not load: fatal (exit 78), restarting cannot help. */
async function configuredOrExit<T>(log: Logger, what: () => T | Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (error) {
    const known = error instanceof GatehouseError;
    log.fatal({ code: known ? error.code : undefined, hint: known ? error.hint : undefined }, errorMessage(error));
    process.exit(EXIT.CONFIG);
  }
}

/** The configured agent, or exit 78: an agent that cannot work as configured (no key file) is fatal. */
async function agentOrExit(config: GatewayConfig, paths: ProfilePaths, log: Logger): Promise<Agent> {
  try {
    return await createAgent(config.agent, { profile: paths.profile, profileDir: paths.dir, env: process.env, log });
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw error;
    log.fatal({ code: error.code, hint: error.hint }, errorMessage(error));
    process.exit(EXIT.CONFIG);
  }
}

/** Wait until every held connection closed, or the deadline passed. */
async function connectionsClosed(connections: Set<Socket>, deadline: number): Promise<void> {
  while (connections.size > 0 && Date.now() < deadline) await sleep(CONNECTION_POLL_MS);
}

export async function runWorker(paths: ProfilePaths): Promise<never> {
  // To the monitor, which writes the gateway log (and echoes it in a foreground run).
  const log = createJsonLog({ sink: descriptorSink(STDOUT_FD), role: 'worker' });
  if (process.send === undefined) {
    log.error('the worker is started by the monitor (`gatehouse run`), not by hand');
    process.exit(EXIT.USAGE);
  }
  // The monitor is gone: exit now, before anything else can hold the port or the database.
  process.on('disconnect', () => {
    log.warn('monitor gone; exiting');
    process.exit(EXIT.FAILURE);
  });
  // Ctrl+C reaches the whole foreground group: the monitor coordinates the drain, not us.
  // (Windows: the worker has its own hidden console; console events there are ignored too.)
  platform.absorbConsoleSignals();
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});

  const configStamp = stampInput(paths.config);
  const config = await configuredOrExit(log, () => loadWorkerConfig(paths.config));
  const token = readToken(paths.token);
  if (token === null) {
    log.fatal(`no usable API token in ${paths.token}`);
    process.exit(EXIT.CONFIG);
  }
  const moduleStamp = config.agent.kind === 'module' ? stampInput(config.agent.module) : null;
  const agent = await agentOrExit(config, paths, log);
  const { store, movedAside } = SessionStore.open(paths.database);
  if (movedAside !== null) log.error({ movedTo: movedAside.file, reason: movedAside.reason }, 'the session database was unreadable; kept it aside and started a new one');
  const metrics = new GatewayMetrics();
  const dispatcher = new Dispatcher(store, agent, log);
  dispatcher.subscribe((event) => metrics.onDispatch(event));
  const alerts = new Alerts(paths, config.alerts, (error, what) => log.warn({ err: error }, `alerts: could not ${what}`));
  dispatcher.subscribe((event) => {
    if (event.type !== 'settled' || event.status !== 'failed') return;
    alerts.fire(`message_failed:${event.messageId}`, {
      severity: 'warning', title: 'a message failed', oneShot: true,
      message: `message ${event.messageId} in session ${event.sessionId} failed: ${event.error.slice(0, 300)}`,
    });
  });
  metrics.register(() => storeFamilies(store, dispatcher));
  const startedAt = Date.now();
  const channels = await Channels.open(config.channels, {
    profileDir: paths.dir, store, dispatcher, log,
    statusText: () => gatewayStatusText(store, dispatcher.inFlight, startedAt),
    requestRestart: (full) => { void tell({ type: 'restart_request', full }); },
    alerts, pollStaleAfterMs: config.alerts.pollStaleAfterMs,
  });
  metrics.register(() => channels.metricFamilies());
  const connections = new Set<Socket>();
  let handingOver = false;
  const storeHealth = new StoreHealth((failure) => {
    if (failure !== null) log.error({ code: failure.code }, failure.message);
    else log.info('the session store accepts writes again');
    void tell({ type: 'store_health', failure });
  });
  const identity = { pid: process.ppid, instance: process.env[ENV.INSTANCE] ?? 'unknown' };
  const dashboard = new DashboardRoutes({
    token,
    sources: { store, dispatcher, lifecycleLog: paths.lifecycleLog, probe: new StatusProbe(paths), identity, workerStartedAt: startedAt },
    note: (message, fields) => log.info(fields, message),
  });
  const server = createApiServer(
    {
      token, store, dispatcher, identity, dashboard,
      closing: () => handingOver,
      requestRestart: (full) => { void tell({ type: 'restart_request', full }); },
      metrics: async () => metrics.render(await askMonitorStats()),
      storeHealth,
    },
    (error) => log.error({ err: error }, 'API request failed'),
  );

  let draining: Promise<void> | null = null;
  const drain = (timeoutMs: number, mode: DrainMode): Promise<void> => {
    draining ??= (async () => {
      const deadline = Date.now() + timeoutMs;
      void tell({ type: 'drain_begin', inFlight: dispatcher.inFlight });
      log.info({ inFlight: dispatcher.inFlight, timeoutMs, mode }, 'draining');
      // Chat channels stop taking updates first: what is not committed stays with Telegram.
      await channels.stopPolling();
      if (mode === 'restart') {
        // New connections already go to the new worker; finish the held ones first, so no request
        // that is already on its way is refused. Each held connection closes after its next answer
        // (Connection: close). Idle ones are not cut now: a client may be writing a request on one
        // at this very moment; they end at the keep-alive timeout the client was told of.
        handingOver = true;
        await connectionsClosed(connections, deadline);
      }
      const result = await dispatcher.drain(Math.max(0, deadline - Date.now()), false);
      log.info(result, 'drained');
      await channels.flushAndClose(deadline);
      await tell({ type: 'drained', ...result });
      server.closeAllConnections();
      store.close();
      process.exit(EXIT.OK);
    })();
    return draining;
  };
  process.on('SIGTERM', () => { void drain(config.drain.timeoutMs, 'stop'); });

  let resumed = false;
  process.on('message', (message: MonitorToWorker, handle: unknown) => {
    switch (message.type) {
      case 'connection': {
        const socket = handle as Socket | undefined;
        if (socket === undefined) return;
        // Before reading a byte: from now on the connection is ours, the monitor drops its copy.
        void tell({ type: 'connection_ack', id: message.id });
        connections.add(socket);
        socket.once('close', () => connections.delete(socket));
        server.emit('connection', socket);
        socket.resume();
        break;
      }
      case 'ping':
        void tell({ type: 'pong', id: message.id, inFlight: dispatcher.inFlight });
        break;
      case 'stats':
        statsWaiters.get(message.id)?.(message.stats);
        statsWaiters.delete(message.id);
        break;
      case 'drain':
        void drain(message.timeoutMs, message.mode);
        break;
      case 'accept':
        void tell({ type: 'accepted', id: message.id, outcome: acceptRelayed(dispatcher, storeHealth, message.session, message.text, message.key) });
        break;
      case 'resume': {
        if (resumed) return; // exactly once per life
        resumed = true;
        // A read-only or full store cannot take the resume marks: say so, keep serving reads and
        // 503s, and resume once it takes them. The first try is made before the channels start.
        let refused = false;
        void dispatcher.resumeOpenOnceWritable((failure) => { refused = true; storeHealth.failed(failure); }).then((counts) => {
          if (counts === null) return;
          if (refused) storeHealth.succeeded();
          if (counts.resumed + counts.failed > 0) log.info(counts, 'resuming messages an earlier worker left unanswered');
          void tell({ type: 'resumed', ...counts });
        });
        // Only now is no other worker alive: one poller and one sender per bot at any time.
        channels.start();
        break;
      }
    }
  });

  await tell({ type: 'ready', inputs: moduleStamp === null ? [configStamp] : [configStamp, moduleStamp] });
  log.info({ agent: config.agent.kind }, 'worker ready');
  return new Promise<never>(() => {});
}
