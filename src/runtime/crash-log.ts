// The crash log: a detached monitor's own stdout and stderr (`start` opens it for them, and the
// helpers it spawns get it too). Only Node's own words land there, since the monitor's records and
// its workers' output go to the gateway log: the trace of an uncaught exception (which the monitor
// logs as well), an out-of-memory abort, a warning. Before `start` launches a monitor it moves
// whatever is there into the gateway log, under a warning naming where it came from, so it is
// read with everything else; what the new monitor prints if it dies at once is then alone in the
// file, for `start` to quote.
import { createJsonLog } from './json-log.js';
import { readTailLines } from './lifecycle-log.js';
import { appendingSink } from './log-sink.js';

const { truncateSync } = process.getBuiltinModule('node:fs');

/** At most this much of a crash log is carried over (a trace is a few kilobytes). */
const MAX_CARRIED_BYTES = 256 * 1024;

/** Move the crash log's lines into the gateway log (appended: no monitor runs, the next one rotates). */
export function carryCrashLog(crashLog: string, gatewayLog: string): void {
  const lines = readTailLines(crashLog, MAX_CARRIED_BYTES).filter((line) => line.trim() !== '');
  if (lines.length === 0) return;
  try {
    truncateSync(crashLog, 0);
  } catch {
    return; // left where it is (and read there), rather than carried over at every start
  }
  const sink = appendingSink(gatewayLog);
  createJsonLog({ sink, role: 'monitor' }).warn({ file: crashLog, lines: lines.length }, 'an earlier gateway printed this outside its log (on its stdout or stderr):');
  sink.append(lines);
}
