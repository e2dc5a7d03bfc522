// The record of a monitor's start, written once it holds the lock and before its worker exists:
// whether the previous life ended cleanly (its unanswered messages are then resumed), the lifecycle
// `start` event (how and where this one runs), and the PID file for tools that cannot speak the
// control protocol.
import { isSupervised } from '../env.js';
import { VERSION } from '../version.js';
import { writePidFile } from './pid-file.js';
import { previousLifeUnclean } from './lifecycle-log.js';
import type { MonitorContext, MonitorIdentity } from './monitor-types.js';

/** How many of the last lifecycle events are read to judge how the previous life ended. */
const PREVIOUS_LIFE_EVENTS = 200;

export function recordStart(ctx: MonitorContext, who: MonitorIdentity): void {
  const { paths, log, lifecycle, instance } = ctx;
  lifecycle.rotateIfLarge();
  const unclean = previousLifeUnclean(lifecycle.tail(PREVIOUS_LIFE_EVENTS), instance);
  if (unclean !== null) {
    lifecycle.append('previous_exit_unclean', { previousInstance: unclean.instance, previousPid: unclean.pid, previousStart: unclean.ts });
    log.warn({ previousPid: unclean.pid }, 'the previous gateway did not exit cleanly; unanswered messages will be resumed');
  }
  const { job, self, detached } = who;
  lifecycle.append('start', {
    argv: ctx.argv, execPath: process.execPath, version: VERSION, detached,
    tty: process.stdin.isTTY === true, supervised: isSupervised(), job,
  });
  if (job === 'in-job') log.warn('this gateway runs inside a job object (its starter forbade breakaway): it may die when the app that started it exits');
  writePidFile(paths.pidFile, {
    kind: 'gatehouse-monitor', pid: self.pid, startTime: self.startTime, startTicks: self.startTicks, instance,
    argv: [...ctx.argv], version: VERSION, profile: paths.profile,
  });
}
