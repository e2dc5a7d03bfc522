// The respawn watcher process: wait for the caller to exit, make sure the old monitor is gone (asking
// it to drain when told to), then start the new monitor from the code now on disk, once. A lock per
// profile (a second control endpoint) keeps two watchers from both starting one.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway } from '../control/start.js';
import { stopGateway } from '../control/stop.js';
import { drainTimeoutOrDefault } from '../gateway/config.js';
import { errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { ensureProfileDirs, type ProfilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import type { RespawnRequest } from '../control/respawn.js';
import { startControlServer } from './control-server.js';
import { LifecycleLog } from './lifecycle-log.js';
import { createLogger } from './logger.js';
import { waitGone } from './process-tree.js';

/** Hold the per-profile watcher lock for this process's life; false when another watcher has it. */
async function takeWatcherLock(paths: ProfilePaths): Promise<boolean> {
  const dir = join(paths.dir, 'respawn');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    const server = await startControlServer(platform.controlEndpoint(dir), '', {
      hello: () => ({ instance: `watcher-${process.pid}`, pid: process.pid, startTime: 0, profile: paths.profile, version: '', state: 'starting', supervised: false }),
      status: () => Promise.reject(new Error('a respawn watcher has no status')),
      stop: () => ({ accepted: false, timeoutMs: 0 }),
      restart: () => Promise.reject(new Error('a respawn watcher cannot restart')),
    });
    server.unref();
    return true;
  } catch {
    return false; // held: that watcher does the respawn
  }
}

export async function runRespawnWatcher(paths: ProfilePaths, request: RespawnRequest): Promise<number> {
  ensureProfileDirs(paths);
  const log = createLogger({ file: paths.gatewayLog, role: 'monitor', echo: false }).child({ watcher: process.pid });
  const lifecycle = new LifecycleLog(paths.lifecycleLog);
  if (!(await takeWatcherLock(paths))) {
    log.info('another respawn watcher already handles this profile');
    return EXIT.OK;
  }
  const deadline = Date.now() + request.deadlineMs;
  lifecycle.append('respawn_watch', { targetPid: request.target.pid, callerPid: request.caller?.pid ?? null, reason: request.reason });
  const give = (why: string): number => {
    lifecycle.append('respawn', { ok: false, reason: request.reason, why });
    log.error(`respawn abandoned: ${why}`);
    return EXIT.FAILURE;
  };
  if (request.caller !== null && !(await waitGone(request.caller, deadline - Date.now()))) {
    return give(`the caller (pid ${request.caller.pid}) still runs after ${request.deadlineMs} ms`);
  }
  if (request.stopIfRunning && platform.matchesIdentity(request.target)) {
    const stopped = await stopGateway(paths, { timeoutMs: drainTimeoutOrDefault(paths.config), reason: request.reason });
    log.info({ steps: stopped.steps }, 'stopped the old gateway for the respawn');
  }
  if (!(await waitGone(request.target, Math.max(0, deadline - Date.now())))) {
    return give(`the old monitor (pid ${request.target.pid}) still runs; never starting a second one`);
  }
  try {
    const started = await startGateway(paths);
    lifecycle.append('respawn', { ok: started.ok, reason: request.reason, oldPid: request.target.pid, newPid: started.pid, message: started.message });
    if (!started.ok) log.error({ details: started.details }, `respawn failed: ${started.message}`);
    else log.info({ newPid: started.pid }, 'respawned the gateway');
    return started.ok ? EXIT.OK : EXIT.FAILURE;
  } catch (error) {
    return give(errorMessage(error));
  }
}
