// The `gatehouse` entry. The monitor and worker are started with this file as entry (no
// bin/gatehouse.js in front), so the compile cache is turned on here, before anything else loads.
// Their command line (`run ...`) is read without the full CLI (see run-command.ts); every other
// command goes to the commander program.
import { enableCompileCache } from '../compile-cache.js';
import { parseRunCommand, runCommand } from './run-command.js';

enableCompileCache();
const run = parseRunCommand(process.argv.slice(2));
if (run === null) await (await import('./program.js')).runProgram();
else {
  try {
    await runCommand(run);
  } catch (error) {
    process.exitCode = (await import('./output.js')).reportError(error);
  }
}
