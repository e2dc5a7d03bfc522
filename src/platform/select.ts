// The one place that chooses the platform implementation, on first use. A function, not a constant:
// posix.ts and win32.ts run tools through spawn.ts, and spawn.ts asks the platform (a descendant's
// identity, a native detached spawn), so this module is in their import cycle and must not touch
// either implementation while the cycle is still being evaluated.
import { linux, posixPs } from './posix.js';
import { win32 } from './win32.js';
import type { Platform } from './types.js';

let chosen: Platform | null = null;

export function currentPlatform(): Platform {
  chosen ??= process.platform === 'linux' ? linux
    // win32.ts loads kernel32 (koffi) only on its first call, so importing it here costs nothing elsewhere.
    : process.platform === 'win32' ? win32
      : posixPs;
  return chosen;
}
