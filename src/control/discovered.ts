// What discovery (discover.ts) found, and its one line for status and stop: apart from the search
// itself, so that `status` says it without loading the process-list code when nothing was searched.
import type { ProcessIdentity } from '../platform/index.js';

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

/** One line for status and stop: which pid, and how it was found. */
export function describeDiscovered(monitor: DiscoveredMonitor, source: string): string {
  return `pid ${monitor.identity.pid} found by its command line (${source}): ${monitor.argv.join(' ')}`;
}
