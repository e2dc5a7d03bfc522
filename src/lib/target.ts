// Which profile a library call acts on: the same profile name and GATEHOUSE_HOME the CLI takes
// (`--profile`, the environment), given as values so that an embedding program needs no globals.
import { ENV } from '../env.js';
import { DEFAULT_PROFILE, profilePaths, type ProfilePaths } from '../paths.js';

export interface ProfileTarget {
  /** The profile name (default `default`), as `--profile` takes it. */
  readonly profile?: string;
  /** The Gatehouse home (default: GATEHOUSE_HOME, else the OS's per-user data directory). */
  readonly home?: string;
}

/** The profile's paths; throws GatehouseError(GH_USAGE) for an invalid profile name. */
export function resolveTarget(target: ProfileTarget = {}): ProfilePaths {
  const env = target.home === undefined ? process.env : { ...process.env, [ENV.HOME]: target.home };
  return profilePaths(target.profile ?? DEFAULT_PROFILE, env);
}
