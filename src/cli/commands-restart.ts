// restart, update-respawn, and the hidden respawn watcher command.
import { Option, type Command } from 'commander';
import { DEFAULT_RESPAWN_DEADLINE_MS, parseIdentity, RESPAWN_WATCH_COMMAND } from '../runtime/respawn.js';
import { fail, say, warn } from './output.js';
import { parseCount, pathsFor, withProfile, type ProfileOption } from './options.js';

export function registerRestartCommands(program: Command): void {
  withProfile(program.command('restart'))
    .description('replace the worker with no refused connection; --full restarts the monitor too')
    .option('--full', 'restart the monitor too (through the service manager when one started it)')
    .action(async (options: ProfileOption & { full?: boolean }) => {
      const paths = pathsFor(options);
      const [{ drainTimeoutOrDefault }, { restartGateway }] = await Promise.all([import('../gateway/config.js'), import('../control/restart.js')]);
      const result = await restartGateway(paths, options.full === true, drainTimeoutOrDefault(paths.config));
      if (result.ok) say(result.message);
      else fail(result.message);
      process.exitCode = result.exitCode;
    });

  program.command('update-respawn')
    .description('for updaters: respawn every running gateway once the caller has exited')
    .option('--caller-pid <pid>', 'the process to outlive (default: the updater, past npx, npm exec, sh -c and cmd /c wrappers)', parseCount)
    .action(async (options: { callerPid?: number }) => {
      const { armUpdateRespawn, resolveCaller } = await import('../control/update-respawn.js');
      const caller = resolveCaller(options.callerPid);
      const { armed, callerFound } = await armUpdateRespawn(caller.pid);
      if (!callerFound) warn(`caller pid ${caller.pid} is not running; the respawn happens as soon as the gateways stop`);
      if (armed.length === 0) say('no running gateway to respawn');
      const after = caller.pid === null ? 'now' : `after pid ${caller.pid} exits`;
      for (const a of armed) say(`${a.profile}: respawn armed for pid ${a.gatewayPid} (watcher pid ${a.watcherPid}, ${after}: ${caller.how})`);
    });

  withProfile(program.command(RESPAWN_WATCH_COMMAND, { hidden: true }))
    .requiredOption('--target <pid:start>', 'the monitor to replace')
    .option('--caller <pid:start>', 'wait for this process to exit first')
    .option('--reason <text>', 'why', 'respawn')
    .addOption(new Option('--deadline-ms <ms>').argParser(parseCount).default(DEFAULT_RESPAWN_DEADLINE_MS))
    .option('--stop-if-running', 'ask a still-running target to stop once the caller is gone')
    .option('--supervised', 'the target runs under a service manager: respawn it through the manager')
    .action(async (options: ProfileOption & { target: string; caller?: string; reason: string; deadlineMs: number; stopIfRunning?: boolean; supervised?: boolean }) => {
      const { runRespawnWatcher } = await import('../control/respawn-watcher.js');
      process.exitCode = await runRespawnWatcher(pathsFor(options), {
        target: parseIdentity(options.target),
        caller: options.caller === undefined ? null : parseIdentity(options.caller),
        reason: options.reason, deadlineMs: options.deadlineMs, stopIfRunning: options.stopIfRunning === true,
        supervised: options.supervised === true,
      });
    });
}
