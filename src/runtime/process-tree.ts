// Signalling a process tree safely: only processes whose identity (pid + start time) still matches
// what was observed are signalled, so a reused pid never receives our signal.
import { setTimeout as sleep } from 'node:timers/promises';
import { platform, type ProcessIdentity } from '../platform/index.js';

const POLL_MS = 50;

/** Signal a process and its descendants (deepest first); returns how many were signalled. */
export function killProcessTree(root: ProcessIdentity, signal: NodeJS.Signals): number {
  // A root that is not the recorded process any more (pid reused): its children are someone else's.
  if (!platform.matchesIdentity(root)) return 0;
  const targets = [...platform.descendants(root.pid), root];
  let signalled = 0;
  for (const target of targets) {
    if (platform.matchesIdentity(target) && platform.signal(target.pid, signal)) signalled += 1;
  }
  return signalled;
}

/** Wait until the process is gone (or is no longer the same process); true if it went in time. */
export async function waitGone(identity: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!platform.matchesIdentity(identity)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

/** Poll a condition until it holds or the time is up. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}
