// Options every command shares, and parsing of their values.
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_PROFILE, profilePaths, type ProfilePaths } from '../paths.js';
import { secondsToMs } from './start-command.js';

export interface ProfileOption {
  readonly profile: string;
}

export function withProfile(command: Command): Command {
  return command.option('-p, --profile <name>', 'which gateway profile', DEFAULT_PROFILE);
}

export function pathsFor(options: ProfileOption): ProfilePaths {
  return profilePaths(options.profile);
}

/** "--timeout 30" in seconds (fractions allowed) -> milliseconds. */
export function parseSeconds(value: string): number {
  const ms = secondsToMs(value);
  if (ms === null) throw new InvalidArgumentError('expected a number of seconds >= 0');
  return ms;
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}
