// Who holds a control endpoint that cannot prove it knows the profile's token (client.ts 'unproven')?
// Either our own gateway, started before the token file was replaced (its PID file, in our private
// profile directory, names the very process that answers), or someone else: another user's process
// squatting the endpoint's computable name. Neither is ever sent a command; this only words it.
import { readPidFile } from '../runtime/pid-file.js';
import type { ProfilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import type { HelloReply } from '../runtime/protocol.js';

export type UnprovenOwner =
  /** Our gateway (PID file + OS identity agree with what it claims), holding an older token. */
  | { readonly kind: 'token-mismatch'; readonly pid: number; readonly message: string; readonly hint: string }
  /** Not ours: nothing it says is believed, not even its pid. */
  | { readonly kind: 'foreign'; readonly message: string; readonly hint: string };

export function explainUnproven(paths: ProfilePaths, claim: HelloReply | undefined): UnprovenOwner {
  const record = readPidFile(paths.pidFile);
  if (claim !== undefined && record.kind === 'ok' && record.value.pid === claim.pid && record.value.startTime === claim.startTime
    && record.value.instance === claim.instance && platform.matchesIdentity(record.value)) {
    return {
      kind: 'token-mismatch', pid: record.value.pid,
      message: `the token in ${paths.token} does not match the running gateway's (pid ${record.value.pid}): the file changed after it started`,
      hint: '`gatehouse stop` (it stops it without the token), then `gatehouse start`; or put the old token back',
    };
  }
  return {
    kind: 'foreign',
    message: `another user's process (or one that does not know this profile's token) holds the control endpoint of profile ${paths.profile}; nothing was sent to it`,
    hint: 'find and end that process (as root: `ss -xlp`); this gateway cannot start while it holds the endpoint',
  };
}
