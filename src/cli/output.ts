// Terminal output: data on stdout, messages on stderr, colour only for a terminal (picocolors
// honours NO_COLOR and FORCE_COLOR).
import pc from 'picocolors';
import { GatehouseError, errorMessage, ERROR_CODES } from '../errors.js';
import { EXIT } from '../exit-codes.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function warn(line: string): void {
  process.stderr.write(`${pc.yellow('warning:')} ${line}\n`);
}

export function fail(line: string, hint?: string): void {
  process.stderr.write(`${pc.red('error:')} ${line}\n`);
  if (hint !== undefined) process.stderr.write(`  ${pc.dim(hint)}\n`);
}

export const pass = (text: string): string => pc.green(text);
export const failed = (text: string): string => pc.red(text);
export const dim = (text: string): string => pc.dim(text);

/** Print an error the way every command does, and give the exit code that goes with it. */
export function reportError(error: unknown): number {
  if (error instanceof GatehouseError) {
    fail(error.message, error.hint);
    return error.code === ERROR_CODES.USAGE ? EXIT.USAGE : error.code === ERROR_CODES.CONFIG_INVALID ? EXIT.CONFIG : EXIT.FAILURE;
  }
  fail(errorMessage(error));
  return EXIT.FAILURE;
}
