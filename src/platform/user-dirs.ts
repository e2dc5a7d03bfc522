// The user's own data and cache directories on each OS: Linux per the XDG base-directory spec,
// macOS under ~/Library, Windows under %LOCALAPPDATA%. They are the directories the env-paths
// package gave (with suffix ''), so a home made by an earlier version stays where it is.
// Written here instead of taken from env-paths: its ES `import process from 'node:process'` builds
// that module's namespace, which opens stdin, stdout and stderr and loads some 45 more of Node's
// internal modules in every process that resolves a path (the monitor all day, each CLI call).
// Imported directly, not through platform/index.ts: it must stay this light (compile-cache.ts
// loads it before anything else).
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

export interface UserDirs {
  /** ~/.local/share/<app>, ~/Library/Application Support/<app>, %LOCALAPPDATA%\<app>\Data */
  readonly data: string;
  /** ~/.cache/<app>, ~/Library/Caches/<app>, %LOCALAPPDATA%\<app>\Cache */
  readonly cache: string;
}

/** An environment variable that is set and not empty (an empty XDG_* means "use the default"). */
function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function userDirs(app: string, env: NodeJS.ProcessEnv = process.env, os: NodeJS.Platform = process.platform, home: string = homedir()): UserDirs {
  if (os === 'win32') {
    const local = setting(env, 'LOCALAPPDATA') ?? win32.join(home, 'AppData', 'Local');
    return { data: win32.join(local, app, 'Data'), cache: win32.join(local, app, 'Cache') };
  }
  if (os === 'darwin') {
    return { data: posix.join(home, 'Library', 'Application Support', app), cache: posix.join(home, 'Library', 'Caches', app) };
  }
  return {
    data: posix.join(setting(env, 'XDG_DATA_HOME') ?? posix.join(home, '.local', 'share'), app),
    cache: posix.join(setting(env, 'XDG_CACHE_HOME') ?? posix.join(home, '.cache'), app),
  };
}
