// `status --deep`: one PASS/FAIL line per independent signal, each with what to do on FAIL.
import { platform } from '../platform/index.js';
import { checkIdentity } from '../runtime/identity.js';
import { describeDiscovered } from './discovered.js';
import { problems, recentLines } from './log-excerpt.js';
import type { Observations } from './status.js';

export interface Probe {
  readonly id: string;
  readonly ok: boolean;
  readonly detail: string;
  /** What to do about a FAIL. */
  readonly hint?: string;
}

/** How much of the end of the gateway log --deep scans for warnings and errors. */
const LOG_TAIL_BYTES = 16 * 1024;
const LOG_TAIL_LINES = 5;

function pidFileProbe(o: Observations): Probe {
  const r = o.pidFile;
  if (r.kind === 'ok') return { id: 'pid-file', ok: true, detail: `${o.paths.pidFile}: pid ${r.value.pid}, instance ${r.value.instance}, version ${r.value.version}` };
  if (r.kind === 'missing') return { id: 'pid-file', ok: false, detail: `${o.paths.pidFile} does not exist`, hint: 'normal when stopped; start with `gatehouse start`' };
  return { id: 'pid-file', ok: false, detail: `${o.paths.pidFile} is unreadable: ${r.reason}`, hint: 'it is ignored; the next start rewrites it' };
}

function controlProbe(o: Observations): Probe {
  const h = o.hello;
  if (h.ok) return { id: 'control', ok: true, detail: `answered in ${h.latencyMs} ms: pid ${h.data.pid}, state ${h.data.state}` };
  if (h.kind === 'unproven' && o.owner !== null) {
    return { id: 'control', ok: false, detail: `${o.owner.message} (${h.detail})`, hint: o.owner.hint };
  }
  if (h.kind === 'timeout') return { id: 'control', ok: false, detail: `accepted but gave no answer (${h.detail}): the gateway is wedged`, hint: '`gatehouse stop` escalates to signals; then start it again' };
  return { id: 'control', ok: false, detail: `nothing answers (${h.detail})`, hint: 'start it with `gatehouse start`' };
}

function identityProbe(o: Observations): Probe {
  if (o.pidFile.kind !== 'ok') return { id: 'identity', ok: false, detail: 'no PID file to check' };
  const record = o.pidFile.value;
  const check = checkIdentity(record);
  if (check.verdict === 'dead') return { id: 'identity', ok: false, detail: `pid ${record.pid} is gone: the PID file is stale`, hint: 'harmless; the next start replaces it' };
  if (check.verdict === 'reused') return { id: 'identity', ok: false, detail: `pid ${record.pid} now belongs to another process (started ${new Date(check.actualStartTime).toISOString()}, recorded ${new Date(record.startTime).toISOString()})`, hint: 'the gateway is gone; that process is never signalled' };
  if (o.hello.ok && o.hello.data.pid !== record.pid) return { id: 'identity', ok: false, detail: `the PID file names pid ${record.pid} but pid ${o.hello.data.pid} holds the control endpoint` };
  return { id: 'identity', ok: true, detail: `pid ${record.pid} started at ${new Date(record.startTime).toISOString()}, as recorded` };
}

/** Only when the control endpoint and the PID file both failed: the gateway found by its command line. */
function discoveryProbe(o: Observations): Probe | null {
  const d = o.discovery;
  if (d === null) return null;
  if (d.kind === 'unavailable') return { id: 'discovery', ok: true, detail: 'cannot list processes with their command lines here: not searched' };
  if (d.kind === 'none') return { id: 'discovery', ok: true, detail: `no gateway process of this profile and home (searched ${d.source})` };
  const others = d.monitors.slice(1).map((m) => m.identity.pid);
  return {
    id: 'discovery', ok: false,
    detail: `${d.monitors.map((m) => describeDiscovered(m, d.source)).join('\n')}${others.length > 0 ? '\n(more than one monitor of this profile and home)' : ''}`,
    hint: 'it runs but cannot be reached: `gatehouse stop` stops it (identity-checked signals), then start it again',
  };
}

function livenessProbe(o: Observations): Probe {
  const discovered = o.discovery?.kind === 'found' ? o.discovery.monitors[0]?.identity.pid ?? null : null;
  const pid = o.hello.ok ? o.hello.data.pid : o.pidFile.kind === 'ok' && discovered === null ? o.pidFile.value.pid : discovered;
  if (pid === null) return { id: 'os-liveness', ok: false, detail: 'no pid known' };
  const alive = platform.isAlive(pid);
  return alive ? { id: 'os-liveness', ok: true, detail: `pid ${pid} is alive` } : { id: 'os-liveness', ok: false, detail: `pid ${pid} is not alive (or a zombie)` };
}

function workerProbe(o: Observations): Probe {
  if (o.status === null) return { id: 'worker', ok: false, detail: 'the monitor was not asked (no answer or no token)' };
  if (!o.status.ok) return { id: 'worker', ok: false, detail: `status request failed: ${o.status.detail}` };
  const w = o.status.data.worker;
  if (w.responsive) return { id: 'worker', ok: true, detail: `worker pid ${w.pid} answered in ${w.latencyMs} ms; restarts ${o.status.data.restarts}` };
  return { id: 'worker', ok: false, detail: `worker ${w.pid === null ? 'absent' : `pid ${w.pid} did not answer`}`, hint: '`gatehouse stop` then `gatehouse start`' };
}

function restartsProbe(o: Observations): Probe {
  if (o.status === null || !o.status.ok) return { id: 'restarts', ok: false, detail: 'unknown (the monitor did not answer)' };
  const s = o.status.data;
  const crash = s.lastCrash === null ? 'no crash' : `last crash ${s.lastCrash.reason} at ${s.lastCrash.at}`;
  const breaker = s.breakerUntil === null ? 'breaker closed' : `breaker open until ${s.breakerUntil}`;
  const detail = `${s.restarts} restarts; ${crash}; ${breaker}`;
  if (s.breakerUntil !== null) return { id: 'restarts', ok: false, detail, hint: 'the worker keeps crashing: read `gatehouse logs`; `gatehouse restart` tries again now' };
  return { id: 'restarts', ok: true, detail };
}

/** Windows only: a monitor inside a job (its start could not break away) dies when that job closes. */
function jobProbe(o: Observations): Probe | null {
  if (o.status === null || !o.status.ok || o.status.data.job === 'n/a') return null;
  const job = o.status.data.job;
  if (job === 'none') return { id: 'job', ok: true, detail: 'outside every job object: it survives the app that started it' };
  return {
    id: 'job', ok: false,
    detail: job === 'in-job' ? 'inside a job object (the starter forbade breakaway): it may die when that app exits' : 'job membership unknown',
    hint: 'install the autostart task (`gatehouse install`) so it is started outside the job',
  };
}

/** The serving worker's store: read-only, full or locked make every POST a 503 naming the cause. */
function storeProbe(o: Observations): Probe | null {
  if (o.status === null || !o.status.ok || o.status.data.worker.pid === null) return null;
  const failure = o.status.data.store ?? null;
  if (failure === null) return { id: 'store', ok: true, detail: 'the session store takes writes (no failure since the worker started)' };
  return { id: 'store', ok: false, detail: `${failure.code}: ${failure.message}, since ${failure.since}; POSTs answer 503 ${failure.code}`, hint: `fix ${o.paths.database} (its file system, free space, or the process holding it); nothing is lost, clients retry` };
}

/** An empty or garbage token file replaced when this gateway started: its old holders get 401. */
function tokenProbe(o: Observations): Probe | null {
  if (!o.hello.ok) return null;
  const instance = o.hello.data.instance;
  const replaced = o.lifecycle.tail(200).filter((e) => e.event === 'token_replaced' && e.instance === instance).at(-1);
  if (replaced === undefined) return { id: 'token', ok: true, detail: `${o.paths.token}: the gateway proved it holds this token` };
  return {
    id: 'token', ok: false,
    detail: `the token file was ${replaced['reason'] === 'empty' ? 'empty' : 'not a valid token'} when this gateway started (${replaced.ts}), and was replaced: clients holding the old token get 401`,
    hint: `give them the new token from ${o.paths.token}`,
  };
}

function stateProbe(o: Observations): Probe {
  const r = o.stateFile;
  if (r.kind === 'missing') return { id: 'state-file', ok: false, detail: 'no state file (never started here)' };
  if (r.kind === 'invalid') return { id: 'state-file', ok: false, detail: `unreadable: ${r.reason}`, hint: 'it is rewritten at the next start' };
  const s = r.value;
  const ageS = Math.round((Date.now() - Date.parse(s.updatedAt)) / 1000);
  const detail = `state ${s.state}, pid ${s.pid}, updated ${ageS} s ago${s.reason === null ? '' : ` (${s.reason})`}`;
  const claimsAlive = s.state === 'running' || s.state === 'draining' || s.state === 'starting';
  const observedAlive = o.hello.ok && o.hello.data.pid === s.pid;
  if (claimsAlive !== observedAlive) return { id: 'state-file', ok: false, detail: `${detail}; disagrees with what answers`, hint: 'the gateway died without updating it: see the lifecycle log' };
  return { id: 'state-file', ok: true, detail };
}

function lifecycleProbe(o: Observations): Probe {
  const last = o.lifecycle.tail(1).at(-1);
  if (last === undefined) return { id: 'lifecycle', ok: false, detail: 'no lifecycle events yet' };
  const unclean = last.event === 'previous_exit_unclean' || last.event === 'start_failed' || last.event === 'escalate';
  return { id: 'lifecycle', ok: !unclean, detail: `last event ${last.event} at ${last.ts} (pid ${last.pid})` };
}

export function deepProbes(o: Observations): Probe[] {
  const probes = [pidFileProbe(o), controlProbe(o), identityProbe(o), discoveryProbe(o), livenessProbe(o), workerProbe(o), restartsProbe(o), jobProbe(o), storeProbe(o), tokenProbe(o), stateProbe(o), lifecycleProbe(o)]
    .filter((p): p is Probe => p !== null);
  const anyFailed = probes.some((p) => !p.ok);
  if (!anyFailed) return probes;
  const log = o.paths.gatewayLog;
  // Then what a detached monitor printed outside its log (a crash), until the next start moves it in.
  const tail = problems([...recentLines(log, LOG_TAIL_BYTES), ...recentLines(o.paths.crashLog, LOG_TAIL_BYTES)], LOG_TAIL_LINES);
  if (tail.length > 0) probes.push({ id: 'log-tail', ok: false, detail: tail.join('\n'), hint: `full log: gatehouse logs (${log})` });
  return probes;
}
