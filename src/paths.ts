// Where a profile's files live. Every path derives from GATEHOUSE_HOME (or the OS's per-user data
// dir), so tests and users can point everything elsewhere.
import { dirname, join, resolve } from 'node:path';
import { ENV } from './env.js';
import { ERROR_CODES, GatehouseError } from './errors.js';
import { currentUid, describeFsError, foreignOwner } from './fs-check.js';
import { userDirs } from './platform/user-dirs.js';

const { mkdirSync, chmodSync, accessSync, statSync, constants: fsConstants } = process.getBuiltinModule('node:fs');

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
  /**
   * The detached monitor's own stdout and stderr (and its helpers'): only what Node prints outside
   * the log, such as the trace of a crash; the next monitor moves it into the gateway log.
   */
  readonly crashLog: string;
}

export function gatehouseHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[ENV.HOME];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return resolve(fromEnv);
  // ~/.local/share/gatehouse, ~/Library/Application Support/gatehouse, %LOCALAPPDATA%\gatehouse\Data
  return userDirs('gatehouse', env).data;
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
    crashLog: join(logDir, 'crash.log'),
  };
}

/** Group- and world-write bits: a directory with them lets other users plant or swap files. */
const SHARED_WRITE = 0o022;
const PRIVATE_DIR_MODE = 0o700;

function unusable(paths: ProfilePaths, cause: string, error?: unknown): GatehouseError {
  return new GatehouseError(ERROR_CODES.HOME_UNWRITABLE, `cannot use ${paths.dir} as the profile directory: ${cause}`, {
    hint: `fix that, or set ${ENV.HOME} to a directory you own`,
    ...(error === undefined ? {} : { cause: error }),
  });
}

/**
 * Make `dir` (creating it) a directory of ours that nobody else can write: another user's directory
 * is refused (a token or marker planted there would be trusted), and ours loses group and world
 * write (`privateDir`: becomes 0700).
 */
function ensureOwnedDir(paths: ProfilePaths, dir: string, privateDir: boolean): void {
  let stat;
  try {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    stat = statSync(dir);
  } catch (error) {
    throw unusable(paths, describeFsError(dir, error), error);
  }
  if (!stat.isDirectory()) throw unusable(paths, `${dir} is a file, not a directory`);
  const foreign = foreignOwner(dir, stat);
  if (foreign !== null) throw new GatehouseError(ERROR_CODES.NOT_OWNED, `refusing ${foreign}: files another user can plant there (a token, a stop marker) would be trusted`, {
    hint: `use a directory of your own (set ${ENV.HOME}), or remove that one`,
  });
  const mode = stat.mode & 0o777;
  const wanted = privateDir ? PRIVATE_DIR_MODE : mode & ~SHARED_WRITE;
  try {
    // mkdir's mode is filtered by the umask and ignored for existing dirs: state dirs must be private.
    if (currentUid() !== null && mode !== wanted) chmodSync(dir, wanted);
    accessSync(dir, fsConstants.W_OK);
  } catch (error) {
    throw unusable(paths, describeFsError(dir, error), error);
  }
}

/** Create the profile's directories, ours and private, or say clearly why that is impossible. */
export function ensureProfileDirs(paths: ProfilePaths): void {
  ensureOwnedDir(paths, paths.home, false);
  ensureOwnedDir(paths, dirname(paths.dir), false);
  ensureOwnedDir(paths, paths.dir, true);
  ensureOwnedDir(paths, paths.logDir, true);
}
