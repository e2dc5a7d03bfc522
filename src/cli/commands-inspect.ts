// status and logs: the commands that only look. What a command does is imported when it runs, so
// `logs` loads nothing `start` or `install` need (`status` is read without commander: status-command.ts).
import type { Command } from 'commander';
import { say } from './output.js';
import { parseCount, pathsFor, withProfile, type ProfileOption } from './options.js';
import { statusCommand, type StatusCommandOptions } from './status-command.js';

const FOLLOW_POLL_MS = 250;
const BYTES_PER_LINE_GUESS = 512;

export function registerInspectCommands(program: Command): void {
  withProfile(program.command('status'))
    .description('is the gateway running? exit 0 running, 3 not running, 1 wedged')
    .option('--deep', 'check every signal (PID file, control endpoint, identity, worker, state, lifecycle)')
    .option('--json', 'print one JSON object')
    // Read without commander on the way in (main.ts); here for --help and the usage errors.
    .action(async (options: StatusCommandOptions) => { await statusCommand(options); });

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
