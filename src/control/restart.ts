// `gatehouse restart`: replace the worker with no refused connection, or (--full) the monitor too.
// A gateway that is not running is started, as a service manager's restart does.
import { EXIT } from '../exit-codes.js';
import type { ProfilePaths } from '../paths.js';
import { waitGone, waitUntil } from '../runtime/process-tree.js';
import { controlTarget, hello, requestRestart } from '../runtime/control-client.js';
import { helloIdentity } from '../runtime/protocol.js';
import { startGateway } from './start.js';

/** A worker restart answers once the new worker serves; allow for a slow boot. */
const WORKER_RESTART_TIMEOUT_MS = 60_000;
/** After the old monitor drained, how long the new one may take to answer. */
const FULL_RESTART_ANSWER_MS = 60_000;

export interface RestartResult {
  readonly ok: boolean;
  readonly message: string;
  readonly exitCode: number;
  readonly pid: number | null;
}

export async function restartGateway(paths: ProfilePaths, full: boolean, drainTimeoutMs: number): Promise<RestartResult> {
  const before = await hello(controlTarget(paths));
  if (!before.ok) {
    const started = await startGateway(paths);
    return { ok: started.ok, message: `was not running; ${started.message}`, exitCode: started.exitCode, pid: started.pid };
  }
  const timeout = full ? drainTimeoutMs + FULL_RESTART_ANSWER_MS : WORKER_RESTART_TIMEOUT_MS;
  const reply = await requestRestart(controlTarget(paths), full, 'gatehouse restart', timeout);
  if (!reply.ok) return { ok: false, message: `the gateway refused the restart: ${reply.detail}`, exitCode: EXIT.FAILURE, pid: before.data.pid };
  const outcome = reply.data;
  if (outcome.kind === 'worker') {
    return outcome.ok
      ? { ok: true, message: `worker replaced (pid ${outcome.oldWorkerPid} -> ${outcome.newWorkerPid}); gateway pid ${before.data.pid}`, exitCode: EXIT.OK, pid: before.data.pid }
      : { ok: false, message: `restart refused: ${outcome.reason}; the old worker keeps serving`, exitCode: EXIT.FAILURE, pid: before.data.pid };
  }
  if (outcome.kind === 'full-refused') {
    return { ok: false, message: `restart refused: ${outcome.reason}; the old gateway keeps serving`, exitCode: EXIT.FAILURE, pid: before.data.pid };
  }
  const old = helloIdentity(before.data);
  if (!(await waitGone(old, drainTimeoutMs + FULL_RESTART_ANSWER_MS))) {
    return { ok: false, message: `the old monitor (pid ${old.pid}) did not exit`, exitCode: EXIT.FAILURE, pid: old.pid };
  }
  let newPid: number | null = null;
  const answered = await waitUntil(async () => {
    const now = await hello(controlTarget(paths));
    if (now.ok && now.data.instance !== before.data.instance && now.data.state === 'running') newPid = now.data.pid;
    return newPid !== null;
  }, FULL_RESTART_ANSWER_MS);
  return answered
    ? { ok: true, message: `restarted (pid ${old.pid} -> ${newPid}, via ${outcome.via})`, exitCode: EXIT.OK, pid: newPid }
    : { ok: false, message: `the old monitor exited but no new one answered within ${FULL_RESTART_ANSWER_MS} ms (via ${outcome.via}); see gatehouse logs`, exitCode: EXIT.FAILURE, pid: null };
}
