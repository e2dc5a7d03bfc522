// The last way to find a profile's gateway, for status and stop: when the PID file is gone (or
// corrupt, or stale) and the control endpoint does not answer, look for the monitor by its command
// line (platform/discovery.ts). What is found is fingerprinted at once (pid + start time read now),
// so a later signal goes to that process or to nobody.
import { basename, isAbsolute } from 'node:path';
import { ancestorsOf, findGatewayMonitors, type ProcessRow } from '../platform/discovery.js';
import { gatehouseHome, type ProfilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import { BIN_SCRIPT, ENTRY_SCRIPT } from '../version.js';
import type { Discovery } from './discovered.js';

export { describeDiscovered, type DiscoveredMonitor, type Discovery } from './discovered.js';

const { realpathSync } = process.getBuiltinModule('node:fs');

export function discoverMonitors(paths: ProfilePaths): Discovery {
  const list = platform.processRows();
  if (list === null) return { kind: 'unavailable' };
  const matches = findGatewayMonitors(list.rows.map(resolveShims), {
    entryScript: ENTRY_SCRIPT,
    launchers: [BIN_SCRIPT],
    profile: paths.profile,
    home: paths.home,
    defaultHome: gatehouseHome({}),
    caseInsensitive: platform.name === 'win32',
    exclude: ancestorsOf(process.pid, list.rows),
  });
  const monitors = matches.flatMap((row) => {
    const identity = platform.processIdentity(row.pid);
    return identity === null ? [] : [{ identity, argv: row.argv }];
  }).sort((a, b) => a.identity.startTime - b.identity.startTime);
  return monitors.length === 0 ? { kind: 'none', source: list.source } : { kind: 'found', monitors, source: list.source };
}

/**
 * `npx gatehouse run` runs the bin script through a symlink (node_modules/.bin/gatehouse): the
 * command line names the link. Resolved only for arguments that look like it, so the cost stays small.
 */
function resolveShims(row: ProcessRow): ProcessRow {
  if (!row.argv.some((a) => isAbsolute(a) && basename(a).startsWith('gatehouse'))) return row;
  const argv = row.argv.map((a) => {
    if (!isAbsolute(a) || !basename(a).startsWith('gatehouse')) return a;
    try {
      return realpathSync(a);
    } catch {
      return a; // gone or unreadable: compared as it is
    }
  });
  return { ...row, argv };
}
