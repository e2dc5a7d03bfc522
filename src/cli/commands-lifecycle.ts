// run, start, stop: the commands that change whether a gateway runs.
import type { Command } from 'commander';
import { ENV } from '../env.js';
import { EXIT } from '../exit-codes.js';
import { DEFAULT_START_TIMEOUT_MS } from '../control/start-defaults.js';
import { dim, fail, printJson, say, warn } from './output.js';
import { parseSeconds, pathsFor, withProfile, type ProfileOption } from './options.js';
import { runCommand, type RunCommandOptions } from './run-command.js';
import { startCommand, type StartCommandOptions } from './start-command.js';

export function registerLifecycleCommands(program: Command): void {
  withProfile(program.command('run'))
    .description('run the gateway in the foreground (monitor + worker); Ctrl+C drains and exits')
    .option('--replace', 'drain and replace a gateway already running this profile')
    .option('--home <dir>', `set ${ENV.HOME} for this process (start passes it, so the home is on the command line)`)
    // Parsed without commander on the way in (main.ts); here for --help and the usage errors.
    .action(async (options: RunCommandOptions) => { await runCommand(options); });

  withProfile(program.command('start'))
    .description('start the gateway detached; exits 0 only once it answered and stayed alive')
    .option('--timeout <seconds>', 'how long to wait for it to answer', parseSeconds, DEFAULT_START_TIMEOUT_MS)
    .option('--json', 'print the result as one JSON object')
    // Read without commander on the way in (main.ts); here for --help and the usage errors.
    .action(async (options: StartCommandOptions) => { await startCommand(options); });

  withProfile(program.command('stop'))
    .description('stop gracefully: drain in-flight work up to --timeout, then escalate')
    .option('--timeout <seconds>', 'how long in-flight work may drain (default: drain.timeoutMs from config, 30 s)', parseSeconds)
    .option('--json', 'print the result as one JSON object')
    .action(async (options: ProfileOption & { timeout?: number; json?: boolean }) => {
      const paths = pathsFor(options);
      const [{ drainTimeoutOrDefault }, { stopGateway }] = await Promise.all([import('../gateway/config.js'), import('../control/stop.js')]);
      const timeoutMs = options.timeout ?? drainTimeoutOrDefault(paths.config);
      const result = await stopGateway(paths, { timeoutMs, reason: 'gatehouse stop', holdAutostart: true });
      process.exitCode = result.ok ? EXIT.OK : EXIT.FAILURE;
      if (options.json === true) return printJson(result);
      for (const line of result.warnings ?? []) warn(line);
      const stopped = result.pids === undefined ? `pid ${result.pid}` : `pids ${result.pids.join(', ')}`;
      if (!result.wasRunning) say(`gatehouse is ${result.message}`); // not running (and why the endpoint is taken, when it is)
      else if (result.ok) say(`gatehouse stopped (${stopped}) ${dim(result.steps.join('; '))}`);
      else fail(`${result.message} ${dim(result.steps.join('; '))}`);
      if (result.autostartHold !== undefined) say(dim(`autostart held until \`gatehouse start\` (${result.autostartHold})`));
    });
}

