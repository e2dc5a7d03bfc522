// The `gatehouse` entry. The monitor and worker are started with this file as entry (no
// bin/gatehouse.js in front), so the compile cache is turned on here, before anything else loads.
// Their command line (`run ...`), `start`'s, and those of the commands scripts call in loops (`status`,
// `send`) are read without the full CLI (run-command.ts, start-command.ts, status-command.ts,
// send-command.ts, on the frame in fast-args.ts); every other command, and any command line these
// cannot read, goes to the commander program.
import { enableCompileCache } from '../compile-cache.js';

enableCompileCache();

/** A command line read to the command it runs, or null when it is not exactly one of that command's. */
type FastReader = (args: readonly string[]) => (() => Promise<void>) | null;

/** A command's reader and what it runs: null from the reader sends the command line to commander. */
function fast<O>(parse: (args: readonly string[]) => O | null, run: (options: O) => Promise<void>): FastReader {
  return (args) => {
    const options = parse(args);
    return options === null ? null : () => run(options);
  };
}

/** The commands read without commander, each imported only when it is the one called. */
const FAST_COMMANDS = new Map<string, () => Promise<FastReader>>([
  // Imported when called, once the cache is on: a static import would be loaded (and compiled) before it.
  ['run', async () => { const m = await import('./run-command.js'); return fast(m.parseRunCommand, m.runCommand); }],
  ['start', async () => { const m = await import('./start-command.js'); return fast(m.parseStartCommand, m.startCommand); }],
  // One bundled module (fast-commands.ts says why).
  ['status', async () => { const m = await import('./fast-commands.js'); return fast(m.parseStatusCommand, m.statusCommand); }],
  ['send', async () => { const m = await import('./fast-commands.js'); return fast(m.parseSendCommand, m.sendCommand); }],
]);

/** The command, when it is one read without commander and this command line is exactly one of it. */
async function fastPath(args: readonly string[]): Promise<(() => Promise<void>) | null> {
  const load = args[0] === undefined ? undefined : FAST_COMMANDS.get(args[0]);
  return load === undefined ? null : (await load())(args);
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
