// The worker: the gateway itself (store, agent, HTTP API), run as the monitor's child. It serves
// the connections the monitor hands it, drains when asked, and exits at once when the monitor is
// gone (IPC disconnect), so no orphan ever holds the port.
import type { Socket } from 'node:net';
import { ENV, isDetached } from '../env.js';
import { GatehouseError, errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { createAgent } from '../gateway/agents.js';
import { loadConfig, type GatewayConfig } from '../gateway/config.js';
import { Dispatcher } from '../gateway/dispatcher.js';
import { createApiServer } from '../gateway/http-api.js';
import { SessionStore } from '../gateway/store.js';
import { readToken } from '../gateway/token.js';
import type { ProfilePaths } from '../paths.js';
import type { MonitorToWorker, WorkerToMonitor } from './ipc.js';
import { createLogger, type Logger } from './logger.js';

/** Send to the monitor; resolves once the message is handed to the channel (before an exit). */
function tell(message: WorkerToMonitor): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(message, () => resolve());
  });
}

function loadOrExit(paths: ProfilePaths, log: Logger): GatewayConfig {
  try {
    return loadConfig(paths.config);
  } catch (error) {
    log.fatal({ code: error instanceof GatehouseError ? error.code : undefined }, errorMessage(error));
    process.exit(EXIT.CONFIG);
  }
}

export async function runWorker(paths: ProfilePaths): Promise<never> {
  const log = createLogger({ file: paths.gatewayLog, role: 'worker', echo: !isDetached() });
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
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});

  const config = loadOrExit(paths, log);
  const token = readToken(paths.token);
  if (token === null) {
    log.fatal(`no usable API token in ${paths.token}`);
    process.exit(EXIT.CONFIG);
  }
  const { store, movedAside } = SessionStore.open(paths.database);
  if (movedAside !== null) log.error({ movedTo: movedAside.file, reason: movedAside.reason }, 'the session database was unreadable; kept it aside and started a new one');
  const dispatcher = new Dispatcher(store, createAgent(config.agent), log);
  const server = createApiServer(
    { token, identity: { pid: process.ppid, instance: process.env[ENV.INSTANCE] ?? 'unknown' }, store, dispatcher },
    (error) => log.error({ err: error }, 'API request failed'),
  );

  let draining: Promise<void> | null = null;
  const drain = (timeoutMs: number): Promise<void> => {
    draining ??= (async () => {
      void tell({ type: 'drain_begin', inFlight: dispatcher.inFlight });
      log.info({ inFlight: dispatcher.inFlight, timeoutMs }, 'draining');
      const result = await dispatcher.drain(timeoutMs);
      log.info(result, 'drained');
      await tell({ type: 'drained', ...result });
      server.close();
      server.closeAllConnections();
      store.close();
      process.exit(EXIT.OK);
    })();
    return draining;
  };
  process.on('SIGTERM', () => { void drain(config.drain.timeoutMs); });

  process.on('message', (message: MonitorToWorker, handle: unknown) => {
    switch (message.type) {
      case 'connection': {
        const socket = handle as Socket | undefined;
        if (socket === undefined) return;
        server.emit('connection', socket);
        socket.resume();
        break;
      }
      case 'ping':
        void tell({ type: 'pong', id: message.id, inFlight: dispatcher.inFlight });
        break;
      case 'drain':
        void drain(message.timeoutMs);
        break;
    }
  });

  const { resumed, failed } = dispatcher.resumeOpen();
  if (resumed + failed > 0) log.info({ resumed, failed }, 'resuming messages a previous life left unanswered');
  await tell({ type: 'ready', resumed, failedResumes: failed });
  log.info({ agent: config.agent.kind }, 'worker ready');
  return new Promise<never>(() => {});
}
