// `gatehouse run`: the entry of the gateway's own processes (the monitor, and its worker, which the
// monitor starts with the same command line and GATEHOUSE_ROLE=worker), and a user's foreground run.
// Those two processes run all day, so `run` is parsed here without commander and the other
// commands' modules: less to load at every boot and less resident memory. A command line this
// cannot read exactly (--help, a typo, an unknown option) goes to the full CLI, which explains it.
import { resolve } from 'node:path';
import { currentRole, ENV } from '../env.js';
import { profilePaths } from '../paths.js';
import { readCommandLine } from './fast-args.js';

export interface RunCommandOptions {
  readonly profile: string;
  readonly replace?: boolean;
  readonly home?: string;
}

/** `run [-p|--profile NAME] [--home DIR] [--replace]`, or null for anything else. */
export function parseRunCommand(args: readonly string[]): RunCommandOptions | null {
  return readCommandLine(args, { name: 'run', options: { home: { type: 'string' }, replace: { type: 'boolean' } } }, (values) => ({
    ...(values.home !== undefined ? { home: values.home } : {}),
    ...(values.replace !== undefined ? { replace: values.replace } : {}),
  }));
}

export async function runCommand(options: RunCommandOptions): Promise<void> {
  // Before any path is resolved; inherited by the worker. Discovery reads it from the command line.
  if (options.home !== undefined) process.env[ENV.HOME] = resolve(options.home);
  const paths = profilePaths(options.profile);
  // The one place the role is chosen: the monitor starts its worker with GATEHOUSE_ROLE=worker.
  if (currentRole() === 'worker') await (await import('../runtime/worker.js')).runWorker(paths);
  else {
    const replace = options.replace !== true ? null : async (timeoutMs: number) =>
      (await import('../control/stop.js')).stopGateway(paths, { timeoutMs, reason: 'replaced by `run --replace`' });
    await (await import('../runtime/run.js')).runGateway(paths, { replace, argv: process.argv.slice(1) });
  }
}
