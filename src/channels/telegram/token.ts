// The bot token: a file in the profile directory (mode 0600, owned by the user) or, when that file
// does not exist, TELEGRAM_BOT_TOKEN. Never in config.json, never printed.
import { isAbsolute, join } from 'node:path';
import { errorMessage, isErrnoException } from '../../errors.js';

const { readFileSync, statSync } = process.getBuiltinModule('node:fs');

export const TOKEN_ENV = 'TELEGRAM_BOT_TOKEN';
const TOKEN_SHAPE = /^(\d{3,}):[A-Za-z0-9_-]{20,}$/;

export type TokenSource =
  | { readonly ok: true; readonly token: string; readonly botId: string; readonly from: string }
  | { readonly ok: false; readonly reason: string };

export function tokenPath(profileDir: string, tokenFile: string): string {
  return isAbsolute(tokenFile) ? tokenFile : join(profileDir, tokenFile);
}

function shaped(token: string, from: string): TokenSource {
  const match = TOKEN_SHAPE.exec(token);
  if (match === null) return { ok: false, reason: `${from} does not hold a bot token (expected <digits>:<secret>, as BotFather gives it)` };
  return { ok: true, token, botId: match[1]!, from };
}

/** Refuse a file others can read or that someone else owns: it holds a credential. */
function checkFile(file: string): string | null {
  if (process.platform === 'win32') return null;
  const stat = statSync(file);
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) return `${file} is readable by others (mode ${mode.toString(8)}): run chmod 600 ${file}`;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `${file} belongs to uid ${stat.uid}, not to this user (uid ${uid})`;
  return null;
}

export function readBotToken(profileDir: string, tokenFile: string, env: NodeJS.ProcessEnv = process.env): TokenSource {
  const file = tokenPath(profileDir, tokenFile);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) return { ok: false, reason: `cannot read ${file}: ${errorMessage(error)}` };
    const fromEnv = env[TOKEN_ENV]?.trim();
    if (fromEnv === undefined || fromEnv === '') {
      return { ok: false, reason: `no bot token: put it in ${file} (mode 600) or set ${TOKEN_ENV}` };
    }
    return shaped(fromEnv, TOKEN_ENV);
  }
  const problem = checkFile(file);
  if (problem !== null) return { ok: false, reason: problem };
  return shaped(text.trim(), file);
}
