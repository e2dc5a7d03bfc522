// Open a URL in the user's browser with the platform's own opener: xdg-open on Linux and the BSDs,
// open on macOS, cmd.exe's `start` on Windows (created hidden, CREATE_NO_WINDOW, so no console
// flashes). The opener is started detached (it may wait for the browser it launches) and not
// waited for. It never fails the caller: when there is no opener, or no graphical session to open
// in, it says why and the caller prints the URL for the user to open.
import { devNull } from 'node:os';
import { delimiter, join, win32 } from 'node:path';
import { spawnDetached } from './spawn.js';

const { accessSync, constants } = process.getBuiltinModule('node:fs');

export type OpenOutcome = { readonly opened: true; readonly via: string } | { readonly opened: false; readonly why: string };

export interface Opener {
  readonly command: string;
  readonly args: (url: string) => string[];
}

/** The platform's opener and its arguments for a URL. */
export function openerFor(os: NodeJS.Platform, env: NodeJS.ProcessEnv): Opener {
  if (os === 'darwin') return { command: 'open', args: (url) => [url] };
  if (os === 'win32') {
    const cmd = env.ComSpec ?? win32.join(env.SystemRoot ?? 'C:\\Windows', 'System32', 'cmd.exe');
    // `start` takes its first quoted argument as a window title: an empty one (quoted as "" on the
    // command line), then the URL (SAFE_URL: no character cmd.exe acts on).
    return { command: cmd, args: (url) => ['/d', '/c', 'start', '', url] };
  }
  return { command: 'xdg-open', args: (url) => [url] };
}

/** The command's file on PATH (or the command itself when it is a path), or null. */
function onPath(command: string, env: NodeJS.ProcessEnv, os: NodeJS.Platform): string | null {
  const candidates = /[\\/]/.test(command) ? [command] : (env.PATH ?? env.Path ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, command));
  for (const file of candidates) {
    try {
      accessSync(file, os === 'win32' ? constants.F_OK : constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** Only characters that no opener's argument parsing (cmd.exe's included) acts on. */
const SAFE_URL = /^http:\/\/[A-Za-z0-9.:[\]]+\/[A-Za-z0-9/._~#=-]*$/;

export function openUrl(url: string, env: NodeJS.ProcessEnv = process.env, os: NodeJS.Platform = process.platform): OpenOutcome {
  if (!SAFE_URL.test(url)) return { opened: false, why: 'the URL has characters an opener could misread' };
  if (os !== 'darwin' && os !== 'win32' && (env.DISPLAY ?? '') === '' && (env.WAYLAND_DISPLAY ?? '') === '') {
    return { opened: false, why: 'no graphical session here (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  }
  const opener = openerFor(os, env);
  const file = onPath(opener.command, env, os);
  if (file === null) return { opened: false, why: `no ${opener.command} on PATH to open a browser with` };
  try {
    spawnDetached(file, opener.args(url), { env, cwd: process.cwd(), logFile: devNull });
    return { opened: true, via: opener.command };
  } catch (error) {
    return { opened: false, why: `could not start ${file}: ${error instanceof Error ? error.message : String(error)}` };
  }
}
