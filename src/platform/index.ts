// The platform this process runs on (select.ts chooses it), and the types every caller uses.
import { currentPlatform } from './select.js';
import type { Platform } from './types.js';

export type { Platform, ProcessIdentity, ControlEndpoint, PortOwner, InstanceLock, JobMembership, ExitHandle } from './types.js';
export { sameStart } from './types.js';

export const platform: Platform = currentPlatform();
