// The monitor's listening socket for the HTTP API. The monitor accepts each connection paused and
// hands it to the current worker, so a worker can be replaced without refusing a connection.
import type { Server, Socket } from 'node:net';
import { ERROR_CODES, GatehouseError, isErrnoException } from '../errors.js';
import { apiUrl } from '../gateway/config-core.js';
import { platform } from '../platform/index.js';

const { createServer } = process.getBuiltinModule('node:net');

export interface ApiListener {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
}

export function listenApi(host: string, port: number, onConnection: (socket: Socket) => void): Promise<ApiListener> {
  const server = createServer({ pauseOnConnect: true }, onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      if (isErrnoException(error, 'EADDRINUSE')) {
        const owner = platform.findPortOwner(host, port);
        const who = owner === null ? '' : ` by pid ${owner.pid} (${owner.command})`;
        reject(new GatehouseError(ERROR_CODES.PORT_IN_USE, `cannot listen on ${host}:${port}: the port is already in use${who}`, {
          hint: 'stop that process, or set api.port in config.json to a free port',
          cause: error,
        }));
        return;
      }
      reject(new GatehouseError(ERROR_CODES.PORT_IN_USE, `cannot listen on ${host}:${port}: ${(error as Error).message}`, { cause: error }));
    });
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const actualPort = typeof address === 'object' && address !== null ? address.port : port;
      resolve({ server, url: apiUrl(host, actualPort), port: actualPort });
    });
  });
}
