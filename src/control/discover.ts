// The last way to find a profile's gateway, for status and stop: when the PID file is gone (or
// corrupt, or stale) and the control endpoint does not answer, look for the monitor by its command
// line (platform/discovery.ts). What is found is fingerprinted at once (pid + start time read now),
// so a later signal goes to that process or to nobody.
import { ancestorsOf, findGatewayMonitors } from '../platform/discovery.js';
import { gatehouseHome, type ProfilePaths } from '../paths.js';
import { platform, type ProcessIdentity } from '../platform/index.js';
import { ENTRY_SCRIPT } from '../version.js';

export interface DiscoveredMonitor {
  readonly identity: ProcessIdentity;
  readonly argv: readonly string[];
}

export type Discovery =
  /** Monitors of this profile and home, oldest first; `source` says how the process list was read. */
  | { readonly kind: 'found'; readonly monitors: readonly DiscoveredMonitor[]; readonly source: string }
  | { readonly kind: 'none'; readonly source: string }
  /** No way of listing processes answered here (or none is implemented). */
  | { readonly kind: 'unavailable' };

export function discoverMonitors(paths: ProfilePaths): Discovery {
  const list = platform.processRows();
  if (list === null) return { kind: 'unavailable' };
  const matches = findGatewayMonitors(list.rows, {
    entryScript: ENTRY_SCRIPT,
    profile: paths.profile,
    home: paths.home,
    defaultHome: gatehouseHome({}),
    caseInsensitive: platform.name === 'win32',
    exclude: ancestorsOf(process.pid, list.rows),
  });
  const monitors = matches.flatMap((row) => {
    const startTime = platform.processStartTime(row.pid);
    return startTime === null ? [] : [{ identity: { pid: row.pid, startTime }, argv: row.argv }];
  }).sort((a, b) => a.identity.startTime - b.identity.startTime);
  return monitors.length === 0 ? { kind: 'none', source: list.source } : { kind: 'found', monitors, source: list.source };
}

/** One line for status and stop: which pid, and how it was found. */
export function describeDiscovered(monitor: DiscoveredMonitor, source: string): string {
  return `pid ${monitor.identity.pid} found by its command line (${source}): ${monitor.argv.join(' ')}`;
}
