// Node's module compile cache (Node >= 22.1): compiled code of every module loaded after this is
// kept on disk, so the next CLI call (and monitor and worker start) skips parsing and compiling
// them. In the user's cache directory (~/.cache/gatehouse, %LOCALAPPDATA%\gatehouse\Cache,
// ~/Library/Caches/gatehouse); NODE_COMPILE_CACHE moves it, NODE_DISABLE_COMPILE_CACHE=1 turns it
// off (both Node's own). A cache that cannot be used is not an error: Node then compiles as usual.
import module from 'node:module';
import { join } from 'node:path';
import { userDirs } from './platform/user-dirs.js';

export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['NODE_COMPILE_CACHE'] ?? join(userDirs('gatehouse', env).cache, 'compile-cache');
}

export function enableCompileCache(): void {
  try {
    module.enableCompileCache?.(compileCacheDir());
  } catch {
    // Read-only home, no cache dir: run uncached.
  }
}
