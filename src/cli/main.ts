// The `gatehouse` entry. The monitor and worker are started with this file as entry (no
// bin/gatehouse.js in front), so the compile cache is turned on here, before anything else loads.
// Their command line (`run ...`) and `start`'s are read without the full CLI (see run-command.ts,
// start-command.ts); every other command goes to the commander program.
import { enableCompileCache } from '../compile-cache.js';

enableCompileCache();

/** The command, when it is one read without commander and this command line is exactly one of it. */
async function fastPath(args: readonly string[]): Promise<(() => Promise<void>) | null> {
  // Imported here, once the cache is on: a static import would be loaded (and compiled) before it.
  if (args[0] === 'run') {
    const { parseRunCommand, runCommand } = await import('./run-command.js');
    const options = parseRunCommand(args);
    return options === null ? null : () => runCommand(options);
  }
  if (args[0] === 'start') {
    const { parseStartCommand, startCommand } = await import('./start-command.js');
    const options = parseStartCommand(args);
    return options === null ? null : () => startCommand(options);
  }
  return null;
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
