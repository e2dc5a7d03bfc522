// The model server's API key: `agent.apiKeyFile` (relative to the profile directory), else
// OPENAI_API_KEY from the environment, else none (local servers need none). The file must belong to
// the user; one readable by others is made 0600 (and said so), as the API token is. The key itself
// is never put into an error, a log line or status: callers get it, and the name of where it came from.
import { isAbsolute, join } from 'node:path';
import { ERROR_CODES, GatehouseError, errorMessage } from '../../errors.js';

const { chmodSync, readFileSync, statSync } = process.getBuiltinModule('node:fs');

export const API_KEY_ENV = 'OPENAI_API_KEY';
/** Printable ASCII without spaces: anything else cannot go into an Authorization header. */
const KEY_PATTERN = /^[\x21-\x7e]{1,4096}$/;

export interface ApiKey {
  readonly key: string | null;
  /** Where it came from, for messages: the file's path, the variable's name, or null for none. */
  readonly source: string | null;
  /** Said once at start, when the file's mode was fixed. */
  readonly note: string | null;
}

function invalid(message: string, hint: string): GatehouseError {
  return new GatehouseError(ERROR_CODES.CONFIG_INVALID, message, { hint });
}

export function resolveApiKeyFile(apiKeyFile: string, profileDir: string): string {
  return isAbsolute(apiKeyFile) ? apiKeyFile : join(profileDir, apiKeyFile);
}

/** Read the key; throws GatehouseError(CONFIG_INVALID) naming the file and what is wrong with it. */
export function readApiKey(apiKeyFile: string | undefined, profileDir: string, env: NodeJS.ProcessEnv = process.env): ApiKey {
  if (apiKeyFile === undefined) {
    const fromEnv = env[API_KEY_ENV]?.trim();
    if (fromEnv === undefined || fromEnv === '') return { key: null, source: null, note: null };
    if (!KEY_PATTERN.test(fromEnv)) throw invalid(`${API_KEY_ENV} is not a usable API key (it must be one word of printable characters)`, `fix ${API_KEY_ENV}, or set agent.apiKeyFile`);
    return { key: fromEnv, source: API_KEY_ENV, note: null };
  }
  const file = resolveApiKeyFile(apiKeyFile, profileDir);
  const note = checkOwnership(file);
  let key: string;
  try {
    key = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw invalid(`cannot read agent.apiKeyFile ${file}: ${errorMessage(error)}`, `write the key into ${file} (mode 600)`);
  }
  if (key === '') throw invalid(`agent.apiKeyFile ${file} is empty`, `write the key into ${file}`);
  if (!KEY_PATTERN.test(key)) throw invalid(`agent.apiKeyFile ${file} does not hold one key (one line of printable characters, no spaces)`, `keep only the key in ${file}`);
  return { key, source: file, note };
}

/** POSIX: the file is the user's, and private. Returns a note when its mode had to be fixed. */
function checkOwnership(file: string): string | null {
  let stat;
  try {
    stat = statSync(file);
  } catch (error) {
    throw invalid(`cannot read agent.apiKeyFile ${file}: ${errorMessage(error)}`, `write the key into ${file} (mode 600), or remove agent.apiKeyFile`);
  }
  if (process.platform === 'win32' || process.getuid === undefined) return null; // the profile directory's ACL protects it
  if (stat.uid !== process.getuid()) throw invalid(`agent.apiKeyFile ${file} belongs to uid ${stat.uid}, not to you (uid ${process.getuid()})`, `chown it to yourself, mode 600`);
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) === 0) return null;
  chmodSync(file, 0o600);
  return `agent.apiKeyFile ${file} was readable by others (mode ${mode.toString(8)}); set it to 600`;
}
