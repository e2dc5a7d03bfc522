// The one place that chooses the platform implementation.
import { linux, posixPs } from './posix.js';
import { win32 } from './win32.js';
import type { Platform } from './types.js';

export type { Platform, ProcessIdentity, ControlEndpoint, PortOwner, InstanceLock, JobMembership } from './types.js';
export { sameStart } from './types.js';

function select(): Platform {
  if (process.platform === 'linux') return linux;
  // win32.ts loads kernel32 (koffi) only on its first call, so importing it here costs nothing elsewhere.
  if (process.platform === 'win32') return win32;
  return posixPs;
}

export const platform: Platform = select();
