// The one place that chooses the platform implementation.
import { linux, posixPs } from './posix.js';
import type { Platform } from './types.js';

export type { Platform, ProcessIdentity, ControlEndpoint, PortOwner } from './types.js';

function select(): Platform {
  if (process.platform === 'linux') return linux;
  if (process.platform === 'win32') {
    // The Windows layer (kernel32 through koffi) is a separate module; until it lands, say so.
    throw new Error('gatehouse: the Windows process layer is not available in this build');
  }
  return posixPs;
}

export const platform: Platform = select();
