// Where a profile's files live. Every path derives from GATEHOUSE_HOME (or the OS's per-user data
// dir), so tests and users can point everything elsewhere.
import { mkdirSync, chmodSync, accessSync, constants as fsConstants } from 'node:fs';
import { join, resolve } from 'node:path';
import envPaths from 'env-paths';
import { ENV } from './env.js';
import { ERROR_CODES, GatehouseError, errorMessage } from './errors.js';

export const DEFAULT_PROFILE = 'default';
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ProfilePaths {
  readonly profile: string;
  readonly home: string;
  readonly dir: string;
  readonly config: string;
  readonly token: string;
  readonly pidFile: string;
  readonly stateFile: string;
  readonly lifecycleLog: string;
  readonly plannedStop: string;
  readonly database: string;
  readonly logDir: string;
  readonly gatewayLog: string;
}

export function gatehouseHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[ENV.HOME];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return resolve(fromEnv);
  // suffix '' keeps env-paths from appending "-nodejs": ~/.local/share/gatehouse, %LOCALAPPDATA%\gatehouse
  return envPaths('gatehouse', { suffix: '' }).data;
}

export function validateProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new GatehouseError(ERROR_CODES.USAGE, `invalid profile name ${JSON.stringify(name)}`, {
      hint: 'use letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)',
    });
  }
  return name;
}

export function profilePaths(profile: string = DEFAULT_PROFILE, env: NodeJS.ProcessEnv = process.env): ProfilePaths {
  const home = gatehouseHome(env);
  const dir = join(home, 'profiles', validateProfileName(profile));
  const logDir = join(dir, 'logs');
  return {
    profile,
    home,
    dir,
    config: join(dir, 'config.json'),
    token: join(dir, 'token'),
    pidFile: join(dir, 'gatehouse.pid'),
    stateFile: join(dir, 'state.json'),
    lifecycleLog: join(dir, 'lifecycle.jsonl'),
    plannedStop: join(dir, 'planned-stop.json'),
    database: join(dir, 'sessions.db'),
    logDir,
    gatewayLog: join(logDir, 'gateway.log'),
  };
}

/** Create the profile's directories, private to the user, or say clearly why that is impossible. */
export function ensureProfileDirs(paths: ProfilePaths): void {
  try {
    for (const dir of [paths.home, paths.dir, paths.logDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    // mkdir's mode is filtered by the umask and ignored for existing dirs: state dirs must be private.
    chmodSync(paths.dir, 0o700);
    accessSync(paths.dir, fsConstants.W_OK);
    accessSync(paths.logDir, fsConstants.W_OK);
  } catch (error) {
    throw new GatehouseError(ERROR_CODES.HOME_UNWRITABLE, `cannot use ${paths.dir} as the profile directory: ${errorMessage(error)}`, {
      hint: `make it writable, or set ${ENV.HOME} to a directory you own`,
      cause: error,
    });
  }
}
