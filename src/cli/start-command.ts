// `gatehouse start`, read without commander and the other commands' modules, as `run` is
// (run-command.ts): start's time to the gateway's first answer begins with this process's own
// boot, and the full CLI (commander and every command's registration) is a good part of it. A
// command line this cannot read exactly (--help, a typo, a bad --timeout) goes to the full CLI,
// which explains it; both run startCommand.
import { DEFAULT_START_TIMEOUT_MS } from '../control/start-defaults.js';
import { profilePaths } from '../paths.js';
import { readCommandLine } from './fast-args.js';

export interface StartCommandOptions {
  readonly profile: string;
  /** Milliseconds (the command line says seconds). */
  readonly timeout: number;
  readonly json?: boolean;
}

/** "30" seconds (fractions allowed) as milliseconds; null when it is not a number >= 0. */
export function secondsToMs(value: string): number | null {
  const seconds = Number(value);
  return !Number.isFinite(seconds) || seconds < 0 ? null : Math.round(seconds * 1000);
}

/** `start [-p|--profile NAME] [--timeout S] [--json]`, or null for anything else. */
export function parseStartCommand(args: readonly string[]): StartCommandOptions | null {
  return readCommandLine(args, { name: 'start', options: { timeout: { type: 'string' }, json: { type: 'boolean' } } }, (values) => {
    const timeout = values.timeout === undefined ? DEFAULT_START_TIMEOUT_MS : secondsToMs(values.timeout);
    return timeout === null ? null : { timeout, ...(values.json === true ? { json: true } : {}) };
  });
}

export async function startCommand(options: StartCommandOptions): Promise<void> {
  const [{ startGateway }, { dim, fail, printJson, say }] = await Promise.all([import('../control/start.js'), import('./output.js')]);
  const result = await startGateway(profilePaths(options.profile), options.timeout);
  if (options.json === true) printJson(result);
  else if (result.ok) {
    say(result.alreadyRunning ? `gatehouse is already running (pid ${result.pid})` : `gatehouse ${result.via === undefined ? 'started' : `started through ${result.via}`} (pid ${result.pid}) ${dim(`api ${result.apiUrl}`)}`);
    if (result.mayDieWithCaller === true) process.stderr.write(`warning: ${result.message}\n`);
    if (result.note !== undefined) process.stderr.write(`warning: ${result.note}\n`);
  } else {
    fail(result.message);
    for (const line of result.details) process.stderr.write(`  ${line}\n`);
  }
  process.exitCode = result.exitCode;
}
