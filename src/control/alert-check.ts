// `gatehouse alert --check`: the watchdog that outlives the gateway. Run by the service manager on
// a timer (and by hand or cron), it raises what a dead or wedged monitor cannot raise itself:
// `gateway_down` when the gateway has not answered, and was not stopped on purpose, for
// alerts.downAfterMs; `gateway_wedged` when its control endpoint accepts and never answers.
import { join } from 'node:path';
import { writeJsonFile } from '../fs-util.js';
import type { ProfilePaths } from '../paths.js';
import { Alerts } from '../runtime/alerts/index.js';
import { alertsDir } from '../runtime/alerts/outbox.js';
import type { AlertsConfig } from '../runtime/alerts/config.js';
import { lastLifeEnd, type LifecycleEvent } from '../runtime/lifecycle-log.js';
import { LIFE_END_EVENTS, observe, summarize } from './status.js';

const { readFileSync, rmSync } = process.getBuiltinModule('node:fs');

export type CheckVerdict = 'up' | 'wedged' | 'stopped' | 'down-grace' | 'down';

export interface CheckOutcome {
  readonly verdict: CheckVerdict;
  readonly detail: string;
  /** Since when it has been down (ISO), when it is. */
  readonly downSince: string | null;
}

function downSinceFile(paths: ProfilePaths): string {
  return join(alertsDir(paths.dir), 'down-since.json');
}

/** The first time a check saw it down: a SIGKILL leaves no exit record to date the death by. */
function firstSeenDown(paths: ProfilePaths, now: number): number {
  try {
    const seen = Number(JSON.parse(readFileSync(downSinceFile(paths), 'utf8')));
    if (Number.isFinite(seen) && seen <= now) return seen;
  } catch {
    // none yet, or torn: start counting now
  }
  writeJsonFile(downSinceFile(paths), now);
  return now;
}

/** The last life's end (lifecycle-log.ts), as the watchdog judges it: planned or not, since when, why. */
function judgeLifeEnd(events: readonly LifecycleEvent[]): { planned: boolean; at: number | null; why: string } {
  const end = lastLifeEnd(events);
  if (end.kind === 'never') return { planned: true, at: null, why: 'it never ran' };
  if (end.kind === 'unclean') return { planned: false, at: null, why: `pid ${end.start.pid} ended without a clean exit` };
  if (end.planned) return { planned: true, at: Date.parse(end.exit.ts), why: 'stopped on purpose' };
  const reason = end.exit['reason'];
  return { planned: false, at: Date.parse(end.exit.ts), why: `it exited with code ${String(end.code)}${typeof reason === 'string' ? ` (${reason})` : ''}` };
}

/** Look once, raise or clear the incidents, say what was seen. `now`: no grace (the manager says it failed). */
export async function checkGateway(paths: ProfilePaths, config: AlertsConfig, alerts: Alerts, options: { now?: boolean; clock?: () => number } = {}): Promise<CheckOutcome> {
  const now = (options.clock ?? Date.now)();
  const observations = await observe(paths);
  const status = summarize(observations, { kind: null, installed: false, enabled: false }, null);
  if (status.state === 'wedged') {
    rmSync(downSinceFile(paths), { force: true });
    alerts.fire('gateway_wedged', { severity: 'critical', title: 'the gateway is wedged', message: status.reason ?? 'it is alive but does not answer' });
    return { verdict: 'wedged', detail: status.reason ?? 'wedged', downSince: null };
  }
  if (status.running) {
    rmSync(downSinceFile(paths), { force: true });
    alerts.resolve('gateway_wedged', 'the gateway answers again');
    alerts.resolve('gateway_down', 'the gateway answers again');
    return { verdict: 'up', detail: `pid ${status.pid} answers (${status.state})`, downSince: null };
  }
  const end = judgeLifeEnd(observations.lifecycle.tail(LIFE_END_EVENTS));
  if (end.planned) {
    rmSync(downSinceFile(paths), { force: true });
    alerts.resolve('gateway_down', 'the gateway was stopped on purpose');
    return { verdict: 'stopped', detail: end.why, downSince: null };
  }
  const since = end.at ?? firstSeenDown(paths, now);
  const downForMs = now - since;
  const downSince = new Date(since).toISOString();
  if (options.now !== true && downForMs < config.downAfterMs) {
    return { verdict: 'down-grace', detail: `down for ${Math.round(downForMs / 1000)} s (${end.why}); alerting after ${config.downAfterMs / 1000} s`, downSince };
  }
  alerts.fire('gateway_down', {
    severity: 'critical', title: 'the gateway is down',
    message: `not answering since ${downSince} and not revived: ${end.why}`,
  });
  return { verdict: 'down', detail: `down since ${downSince}: ${end.why}`, downSince };
}
