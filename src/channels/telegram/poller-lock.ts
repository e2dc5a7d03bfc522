// Exactly one poller per bot token on this machine. Two pollers on one token steal each other's
// updates (Telegram answers the loser 409), so a second gateway (another profile, another home)
// configured with the same token is refused. The lock is the platform's single-instance endpoint
// (src/platform: an abstract socket on Linux, a socket file elsewhere on POSIX, a pipe plus a named
// mutex on Windows), keyed by a hash of the token, so the OS frees it when the holder dies and the
// token itself appears nowhere. The holder answers whoever connects with who it is.
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage, isErrnoException } from '../../errors.js';
import { platform, type InstanceLock } from '../../platform/index.js';

const { createHash } = process.getBuiltinModule('node:crypto');
const { mkdirSync, rmSync } = process.getBuiltinModule('node:fs');
const { connect, createServer } = process.getBuiltinModule('node:net');

const ASK_TIMEOUT_MS = 1_000;

export interface PollerLock {
  release(): void;
}

export type LockResult = { readonly ok: true; readonly lock: PollerLock } | { readonly ok: false; readonly holder: string };

/** A directory name standing for the token (only its hash), for the platform's endpoint and mutex. */
function keyDir(token: string): string {
  return join(tmpdir(), `gatehouse-telegram-${createHash('sha256').update(token).digest('hex').slice(0, 24)}`);
}

/** Ask the holder who it is; null when nothing answers (a stale socket file). */
function askHolder(address: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect(address);
    let text = '';
    const done = (value: string | null): void => { socket.destroy(); resolve(value); };
    socket.setTimeout(ASK_TIMEOUT_MS, () => done('a process that does not answer'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => { text += chunk; });
    socket.on('end', () => done(text.trim() === '' ? 'a process that does not say who it is' : text.trim()));
    socket.on('error', () => done(null));
  });
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => { server.off('error', reject); resolve(); });
  });
}

export async function acquirePollerLock(token: string, whoAmI: string): Promise<LockResult> {
  const dir = keyDir(token);
  const endpoint = platform.controlEndpoint(dir);
  if (endpoint.file !== null) mkdirSync(dir, { recursive: true, mode: 0o700 });
  let mutex: InstanceLock | null = null;
  mutex = platform.instanceLock(dir);
  if (mutex === null) return { ok: false, holder: (await askHolder(endpoint.address)) ?? 'another process' };
  const server = createServer((socket) => { socket.on('error', () => { /* the asker hung up */ }); socket.end(`${whoAmI}\n`); });
  try {
    await listen(server, endpoint.address);
  } catch (error) {
    if (!isErrnoException(error, 'EADDRINUSE')) {
      mutex.release();
      return { ok: false, holder: `the lock could not be taken (${errorMessage(error)})` };
    }
    const holder = await askHolder(endpoint.address);
    if (holder !== null || endpoint.file === null) {
      mutex.release();
      return { ok: false, holder: holder ?? 'another process' };
    }
    rmSync(endpoint.file, { force: true }); // nothing answers on it: left by a holder that died
    await listen(server, endpoint.address);
  }
  server.unref();
  return {
    ok: true,
    lock: { release: () => { server.close(); mutex?.release(); } },
  };
}
