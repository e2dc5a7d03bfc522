// Terminal output: data on stdout, messages on stderr, colour only where the stream written to is a
// terminal (Node's util.styleText, which honours NO_COLOR, NODE_DISABLE_COLORS and FORCE_COLOR; it
// is part of node:util, which every command has loaded already, where a colour package cost `status`
// a CommonJS loader of its own).
import { GatehouseError, errorMessage, ERROR_CODES } from '../errors.js';
import { EXIT } from '../exit-codes.js';

const { styleText } = process.getBuiltinModule('node:util');

type Style = 'red' | 'green' | 'yellow' | 'dim';
const onStdout = (style: Style, text: string): string => styleText(style, text, { stream: process.stdout });
const onStderr = (style: Style, text: string): string => styleText(style, text, { stream: process.stderr });

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function warn(line: string): void {
  process.stderr.write(`${onStderr('yellow', 'warning:')} ${line}\n`);
}

export function fail(line: string, hint?: string): void {
  process.stderr.write(`${onStderr('red', 'error:')} ${line}\n`);
  if (hint !== undefined) process.stderr.write(`  ${onStderr('dim', hint)}\n`);
}

/** For lines printed on stdout (say). */
export const pass = (text: string): string => onStdout('green', text);
export const failed = (text: string): string => onStdout('red', text);
export const dim = (text: string): string => onStdout('dim', text);

/** Print an error the way every command does, and give the exit code that goes with it. */
export function reportError(error: unknown): number {
  if (error instanceof GatehouseError) {
    fail(error.message, error.hint);
    return error.code === ERROR_CODES.USAGE ? EXIT.USAGE : error.code === ERROR_CODES.CONFIG_INVALID ? EXIT.CONFIG : EXIT.FAILURE;
  }
  fail(errorMessage(error));
  return EXIT.FAILURE;
}
