// Is a recorded process still the one that wrote the record (PIDs are reused), and who this process is.
import { platform, sameStart, type ProcessIdentity } from '../platform/index.js';

export type IdentityCheck =
  | { readonly verdict: 'match' }
  | { readonly verdict: 'dead' }
  | { readonly verdict: 'reused'; readonly actualStartTime: number };

/** Is the recorded process still the one that wrote the record? PIDs are reused. */
export function checkIdentity(identity: ProcessIdentity): IdentityCheck {
  const actual = platform.processIdentity(identity.pid);
  if (actual === null) return { verdict: 'dead' };
  if (!sameStart(actual, identity)) return { verdict: 'reused', actualStartTime: actual.startTime };
  return { verdict: 'match' };
}

export function selfIdentity(): ProcessIdentity {
  const self = platform.processIdentity(process.pid);
  if (self === null) throw new Error('cannot read this process start time');
  return self;
}
