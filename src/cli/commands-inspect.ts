// status and logs: the commands that only look. What a command does is imported when it runs, so
// `status` loads neither the log reader nor anything `start` or `install` need.
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import type { GatewayStatus } from '../control/status.js';
import { describeChannel } from '../control/channel-status.js';
import { dim, failed, pass, printJson, say } from './output.js';
import { parseCount, pathsFor, withProfile, type ProfileOption } from './options.js';

const FOLLOW_POLL_MS = 250;
const BYTES_PER_LINE_GUESS = 512;

export function statusExitCode(status: GatewayStatus): number {
  if (status.running) return EXIT.OK;
  return status.state === 'wedged' || status.state === 'blocked' ? EXIT.FAILURE : EXIT.NOT_RUNNING;
}

function printStatus(status: GatewayStatus): void {
  const headline = status.running ? pass(status.state) : failed(status.state);
  const pids = status.pids === undefined ? `pid ${status.pid}` : `pids ${status.pids.join(', ')}`;
  say(`gatehouse [${status.profile}]: ${headline}${status.pid === null ? '' : ` (${pids})`}`);
  if (status.reason !== null) say(`  reason:   ${status.reason}`);
  if (status.api.url !== null) say(`  api:      ${status.api.url}`);
  if (status.startedAt !== null) say(`  started:  ${status.startedAt}`);
  if (status.worker !== null) say(`  worker:   pid ${status.worker.pid} ${status.worker.responsive ? 'responsive' : 'NOT responding'}; restarts ${status.restarts ?? 0}`);
  say(`  service:  ${status.service.kind === null ? 'none installed' : `${status.service.kind} (${status.service.enabled ? 'enabled' : 'disabled'})`}`);
  for (const channel of status.channels) {
    const [first, ...rest] = describeChannel(channel).split('\n');
    say(`  channel:  ${first}`);
    for (const line of rest) say(`            ${line}`);
  }
  for (const probe of status.probes ?? []) {
    const mark = probe.ok ? pass('PASS') : failed('FAIL');
    const [first, ...rest] = probe.detail.split('\n');
    say(`  [${mark}] ${probe.id.padEnd(12)} ${first}`);
    for (const line of rest) say(`         ${' '.repeat(12)} ${line}`);
    if (!probe.ok && probe.hint !== undefined) say(`         ${' '.repeat(12)} ${dim(`-> ${probe.hint}`)}`);
  }
}

export function registerInspectCommands(program: Command): void {
  withProfile(program.command('status'))
    .description('is the gateway running? exit 0 running, 3 not running, 1 wedged')
    .option('--deep', 'check every signal (PID file, control endpoint, identity, worker, state, lifecycle)')
    .option('--json', 'print one JSON object')
    .action(async (options: ProfileOption & { deep?: boolean; json?: boolean }) => {
      const { statusReport } = await import('../control/status-report.js');
      const status = await statusReport(pathsFor(options), options.deep === true);
      if (options.json === true) printJson(status);
      else printStatus(status);
      process.exitCode = statusExitCode(status);
    });

  withProfile(program.command('logs'))
    .description("show the gateway's log")
    .option('-n, --lines <n>', 'how many lines from the end', parseCount, 50)
    .option('-f, --follow', 'keep printing new lines')
    .option('--raw', 'print the JSON records as written')
    .action(async (options: ProfileOption & { lines: number; follow?: boolean; raw?: boolean }) => {
      const file = pathsFor(options).gatewayLog;
      const [{ recentLines }, { LogFollower }, { formatLogLine }] = await Promise.all([import('../control/log-excerpt.js'), import('../control/log-follow.js'), import('../log-format.js')]);
      const show = (line: string): void => say(options.raw === true ? line : formatLogLine(line));
      // Across a rotation: a file the monitor just started is topped up from gateway.log.1. When
      // following, the tail ends where the follower starts (control/log-follow.ts).
      const bytes = Math.max(64 * 1024, options.lines * BYTES_PER_LINE_GUESS);
      const follower = options.follow === true ? new LogFollower(file) : null;
      const tail = options.lines === 0 ? [] : (follower?.linesBefore(bytes) ?? recentLines(file, bytes)).slice(-options.lines);
      tail.forEach(show);
      if (follower !== null) await follow(follower, show);
    });
}

/** Print the lines appended to the log from now on, through its rotations. */
async function follow(follower: { poll(): string[] }, show: (line: string) => void): Promise<never> {
  const { setTimeout: sleep } = await import('node:timers/promises');
  for (;;) {
    await sleep(FOLLOW_POLL_MS);
    follower.poll().forEach(show);
  }
}
