// The `gatehouse` entry. The monitor and worker are started with this file as entry (no
// bin/gatehouse.js in front), so the compile cache is turned on here, before anything else loads.
// Their command line (`run ...`), `start`'s, and those of the commands scripts call in loops (`status`,
// `send`) are read without the full CLI (run-command.ts, start-command.ts, status-command.ts,
// send-command.ts); every other command, and any command line these cannot read, goes to the
// commander program.
import { enableCompileCache } from '../compile-cache.js';

enableCompileCache();

/** The command, when it is one read without commander and this command line is exactly one of it. */
async function fastPath(args: readonly string[]): Promise<(() => Promise<void>) | null> {
  // Imported here, once the cache is on: a static import would be loaded (and compiled) before it.
  switch (args[0]) {
    case 'run': {
      const { parseRunCommand, runCommand } = await import('./run-command.js');
      const options = parseRunCommand(args);
      return options === null ? null : () => runCommand(options);
    }
    case 'start': {
      const { parseStartCommand, startCommand } = await import('./start-command.js');
      const options = parseStartCommand(args);
      return options === null ? null : () => startCommand(options);
    }
    // One bundled module (fast-commands.ts says why).
    case 'status': {
      const { parseStatusCommand, statusCommand } = await import('./fast-commands.js');
      const options = parseStatusCommand(args);
      return options === null ? null : () => statusCommand(options);
    }
    case 'send': {
      const { parseSendCommand, sendCommand } = await import('./fast-commands.js');
      const options = parseSendCommand(args);
      return options === null ? null : () => sendCommand(options);
    }
    default:
      return null;
  }
}

const command = await fastPath(process.argv.slice(2));
if (command === null) await (await import('./program.js')).runProgram();
else {
  try {
    await command();
  } catch (error) {
    process.exitCode = (await import('./output.js')).reportError(error);
  }
}
