// `gatehouse update-respawn`, for updaters: for every running profile, arm a detached watcher that
// respawns the gateway once the updater (the caller) has exited. The caller is the updater itself,
// found past the wrappers (npx, npm exec, sh -c, cmd.exe /c) that stand between it and us
// (platform/caller-chain.ts), unless --caller-pid names it.
import { join } from 'node:path';
import { gatehouseHome, profilePaths } from '../paths.js';
import { chooseCaller } from '../platform/caller-chain.js';
import { platform } from '../platform/index.js';
import { ENTRY_SCRIPT } from '../version.js';
import { controlTarget, hello } from '../runtime/control-client.js';
import { helloIdentity } from '../runtime/protocol.js';
import { armRespawn, DEFAULT_RESPAWN_DEADLINE_MS, identityOf } from '../runtime/respawn.js';

const { readdirSync } = process.getBuiltinModule('node:fs');

export interface ResolvedCaller {
  /** The process to outlive; null: nobody (the respawn waits only for the gateway to stop). */
  readonly pid: number | null;
  /** How it was chosen, for the message. */
  readonly how: string;
}

/** The updater: --caller-pid, else the first real ancestor past the wrappers, else the parent. */
export function resolveCaller(explicit?: number): ResolvedCaller {
  if (explicit !== undefined) return { pid: explicit, how: 'given by --caller-pid' };
  const list = platform.processRows();
  const choice = list === null ? null : chooseCaller(list.rows, process.pid, ENTRY_SCRIPT);
  if (choice === null || choice.chain.length === 0) return { pid: process.ppid, how: 'the parent process (its ancestors cannot be read here)' };
  const skipped = choice.chain.filter((a) => a.kind === 'wrapper').map((a) => `${a.row.pid} (${a.why})`);
  const past = skipped.length === 0 ? '' : `, past ${skipped.join(', ')}`;
  const last = choice.chain.at(-1);
  if (choice.caller === null) return { pid: null, how: `no updater to wait for: ${last?.why ?? 'none found'}${past}` };
  const chosen = choice.chain.find((a) => a.row.pid === choice.caller?.pid);
  return { pid: choice.caller.pid, how: `${chosen?.kind === 'wrapper' ? 'the outermost wrapper below a boundary' : chosen?.why ?? 'the caller'}${past}` };
}

export interface ArmedRespawn {
  readonly profile: string;
  readonly gatewayPid: number;
  readonly watcherPid: number;
}

function profileNames(home: string): string[] {
  try {
    return readdirSync(join(home, 'profiles'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return []; // no profiles yet
  }
}

export async function armUpdateRespawn(callerPid: number | null, deadlineMs = DEFAULT_RESPAWN_DEADLINE_MS): Promise<{ armed: ArmedRespawn[]; callerFound: boolean }> {
  const caller = callerPid === null ? null : identityOf(callerPid);
  const armed: ArmedRespawn[] = [];
  for (const name of profileNames(gatehouseHome())) {
    let paths;
    try {
      paths = profilePaths(name);
    } catch {
      continue; // not a profile directory of ours
    }
    const answer = await hello(controlTarget(paths));
    if (!answer.ok) continue;
    const watcherPid = armRespawn(paths, {
      target: helloIdentity(answer.data),
      caller, reason: 'update-respawn', stopIfRunning: true, deadlineMs, supervised: answer.data.supervised,
    });
    armed.push({ profile: name, gatewayPid: answer.data.pid, watcherPid });
  }
  return { armed, callerFound: callerPid === null || caller !== null };
}
