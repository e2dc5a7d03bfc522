// The `gatehouse` command line: every command, parsed by commander (main.ts is the entry).
import { Command, CommanderError } from 'commander';
import { EXIT } from '../exit-codes.js';
import { VERSION } from '../version.js';
import { registerAlertCommands } from './commands-alert.js';
import { registerDashboardCommand } from './commands-dashboard.js';
import { registerInspectCommands } from './commands-inspect.js';
import { registerLifecycleCommands } from './commands-lifecycle.js';
import { registerRestartCommands } from './commands-restart.js';
import { registerSendCommand } from './commands-send.js';
import { registerServiceCommands } from './commands-service.js';
import { reportError } from './output.js';

export function buildProgram(): Command {
  const program = new Command('gatehouse')
    .description('a gateway daemon for chat bots and AI agents that stays up')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerLifecycleCommands(program);
  registerRestartCommands(program);
  registerInspectCommands(program);
  registerSendCommand(program);
  registerServiceCommands(program);
  registerAlertCommands(program);
  registerDashboardCommand(program);
  return program;
}

export async function runProgram(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed.
      process.exitCode = error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    process.exitCode = reportError(error);
  }
}

