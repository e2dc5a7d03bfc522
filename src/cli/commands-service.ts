// install and uninstall: autostart at login through the platform's service manager, without admin.
import type { Command } from 'commander';
import type { ServiceOutcome } from '../control/service-install.js';
import { errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { fail, say, warn } from './output.js';
import { pathsFor, withProfile, type ProfileOption } from './options.js';

interface InstallFlags extends ProfileOption {
  /** commander's negated options: --no-start sets start=false. */
  readonly start: boolean;
  readonly login: boolean;
  readonly print?: boolean;
}

function report(outcome: ServiceOutcome): void {
  outcome.lines.forEach(say);
  outcome.warnings.forEach(warn);
  if (outcome.error !== null) fail(outcome.error);
  process.exitCode = outcome.exitCode;
}

/** `install --print`: every file with a header line, as `tail` prints several files. */
async function printDefinitions(options: InstallFlags): Promise<void> {
  const { renderService } = await import('../control/service-install.js');
  try {
    const { definitions } = await renderService(pathsFor(options));
    for (const definition of definitions) {
      say(`==> ${definition.path} (${definition.role}) <==`);
      const text = typeof definition.content === 'string' ? definition.content : decodeUtf16(definition.content);
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
    process.exitCode = EXIT.OK;
  } catch (error) {
    fail(errorMessage(error));
    process.exitCode = EXIT.FAILURE;
  }
}

/** The task XML is UTF-16LE with a BOM on disk; printed as text. */
function decodeUtf16(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(2)).toString('utf16le').replaceAll('\r\n', '\n');
}

export function registerServiceCommands(program: Command): void {
  withProfile(program.command('install'))
    .description('start the gateway at login (systemd user unit, LaunchAgent, or Scheduled Task), without admin rights; asks nothing')
    .option('--no-start', 'install only; do not start it now')
    .option('--no-login', 'do not start it at login (start now only, unless --no-start)')
    .option('--print', 'print the definition(s) it would install, and install nothing')
    .action(async (options: InstallFlags) => {
      if (options.print === true) return printDefinitions(options);
      const { installService } = await import('../control/service-install.js');
      report(await installService(pathsFor(options), { start: options.start, login: options.login }));
    });

  withProfile(program.command('uninstall'))
    .description('remove the autostart definition (every track ever installed) and stop the managed gateway')
    .action(async (options: ProfileOption) => {
      const { uninstallService } = await import('../control/service-install.js');
      report(await uninstallService(pathsFor(options)));
    });
}
