// The respawn watcher process: wait for the caller to exit, make sure the old monitor is gone (asking
// it to drain when told to), then start the new monitor from the code now on disk, once. A lock per
// profile (a second control endpoint) makes watchers take turns: a second one waits for the first to
// finish (it may be confirming the very monitor the second must replace), then does its own part;
// `start` never starts a second monitor beside one that answers. A target run by a
// service manager is respawned through that manager only (respawnSupervised), never beside it.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { controlTarget, hello, requestRestart } from '../runtime/control-client.js';
import { startGateway } from './start.js';
import { stopGateway } from './stop.js';
import { drainTimeoutOrDefault } from '../gateway/config.js';
import { errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { ensureProfileDirs, type ProfilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import type { RespawnRequest } from '../runtime/respawn.js';
import { startControlServer } from '../runtime/control-server.js';
import { LifecycleLog } from '../runtime/lifecycle-log.js';
import { createJsonLog, type Logger } from '../runtime/json-log.js';
import { appendingSink } from '../runtime/log-sink.js';
import { waitGone, waitUntil } from '../runtime/process-tree.js';

const { mkdirSync } = process.getBuiltinModule('node:fs');

/** The monitor answers a full-restart request at once (it exits 75 after draining). */
const RESTART_REQUEST_TIMEOUT_MS = 5_000;
/** After a supervised monitor exited 75: the manager's restart delay (systemd RestartSec=5) and a boot. */
const MANAGER_RESTART_WAIT_MS = 30_000;
const HELLO_TIMEOUT_MS = 1_000;
/** How often a watcher waiting for its turn tries the lock again. */
const WATCHER_LOCK_POLL_MS = 100;

/** Hold the per-profile watcher lock for this process's life; false when another watcher has it. */
async function tryWatcherLock(paths: ProfilePaths): Promise<boolean> {
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
    return false; // held by another watcher
  }
}

/** Wait for the lock until the deadline: the watcher holding it ends once its monitor is confirmed. */
async function takeWatcherLock(paths: ProfilePaths, deadline: number): Promise<boolean> {
  for (;;) {
    if (await tryWatcherLock(paths)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(WATCHER_LOCK_POLL_MS);
  }
}

export async function runRespawnWatcher(paths: ProfilePaths, request: RespawnRequest): Promise<number> {
  ensureProfileDirs(paths);
  // Appended, never rotated: the monitor it waits for (or starts) owns the rotation.
  const log = createJsonLog({ sink: appendingSink(paths.gatewayLog), role: 'monitor' }).child({ watcher: process.pid });
  const lifecycle = new LifecycleLog(paths.lifecycleLog);
  const deadline = Date.now() + request.deadlineMs;
  const give = (why: string): number => {
    lifecycle.append('respawn', { ok: false, reason: request.reason, why });
    log.error(`respawn abandoned: ${why}`);
    return EXIT.FAILURE;
  };
  if (!(await takeWatcherLock(paths, deadline))) return give(`another respawn watcher held the lock for ${request.deadlineMs} ms`);
  lifecycle.append('respawn_watch', { targetPid: request.target.pid, callerPid: request.caller?.pid ?? null, reason: request.reason });
  if (request.caller !== null && !(await waitGone(request.caller, deadline - Date.now()))) {
    return give(`the caller (pid ${request.caller.pid}) still runs after ${request.deadlineMs} ms`);
  }
  if (request.supervised === true) return respawnSupervised(paths, request, deadline, log, lifecycle, give);
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

/**
 * The target runs under a service manager, which must stay the only one starting monitors. Still
 * running: ask it for a full restart over the control endpoint (it drains and exits 75, which the
 * manager restarts). Already gone (an updater ran `gatehouse stop`, exit 0, which the manager does
 * not restart) or the manager did not bring it back: start it, which goes through the manager when
 * the service is installed (start-managed.ts). Then a new instance must answer.
 */
async function respawnSupervised(
  paths: ProfilePaths, request: RespawnRequest, deadline: number, log: Logger, lifecycle: LifecycleLog, give: (why: string) => number,
): Promise<number> {
  let restartAsked = false;
  if (platform.matchesIdentity(request.target)) {
    const reply = await requestRestart(controlTarget(paths), true, request.reason, RESTART_REQUEST_TIMEOUT_MS);
    if (reply?.ok === true && reply.data.kind === 'full-refused') {
      return give(`the gateway refused the full restart (${reply.data.reason}); it keeps serving`);
    }
    if (reply?.ok === true && reply.data.kind === 'full' && reply.data.via === 'service-manager') {
      restartAsked = true;
      log.info({ targetPid: request.target.pid }, 'asked the supervised gateway for a full restart through its service manager');
    } else {
      // Wedged, or it would restart through a watcher: stop it (escalating), then start it below.
      const stopped = await stopGateway(paths, { timeoutMs: drainTimeoutOrDefault(paths.config), reason: request.reason });
      log.info({ steps: stopped.steps }, 'stopped the old supervised gateway for the respawn');
    }
  }
  if (!(await waitGone(request.target, Math.max(0, deadline - Date.now())))) {
    return give(`the old monitor (pid ${request.target.pid}) still runs; never starting a second one`);
  }
  let newPid: number | null = null;
  const answered = async (): Promise<boolean> => {
    const now = await hello(controlTarget(paths), HELLO_TIMEOUT_MS);
    if (now.ok && now.data.pid !== request.target.pid && now.data.state === 'running') newPid = now.data.pid;
    return newPid !== null;
  };
  if (restartAsked && (await waitUntil(answered, Math.min(MANAGER_RESTART_WAIT_MS, Math.max(0, deadline - Date.now()))))) {
    lifecycle.append('respawn', { ok: true, reason: request.reason, oldPid: request.target.pid, newPid, via: 'service-manager restart' });
    log.info({ newPid }, 'the service manager restarted the gateway');
    return EXIT.OK;
  }
  try {
    const started = await startGateway(paths);
    lifecycle.append('respawn', { ok: started.ok, reason: request.reason, oldPid: request.target.pid, newPid: started.pid, message: started.message, via: started.via ?? 'spawn' });
    if (!started.ok) log.error({ details: started.details }, `respawn failed: ${started.message}`);
    else log.info({ newPid: started.pid, via: started.via }, 'respawned the gateway');
    return started.ok ? EXIT.OK : EXIT.FAILURE;
  } catch (error) {
    return give(errorMessage(error));
  }
}
