// `gatehouse update-respawn`, for updaters: for every running profile, arm a detached watcher that
// respawns the gateway once the updater (the caller) has exited.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gatehouseHome, profilePaths } from '../paths.js';
import { controlTarget, hello } from './client.js';
import { armRespawn, DEFAULT_RESPAWN_DEADLINE_MS, identityOf } from './respawn.js';

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

export async function armUpdateRespawn(callerPid: number, deadlineMs = DEFAULT_RESPAWN_DEADLINE_MS): Promise<{ armed: ArmedRespawn[]; callerFound: boolean }> {
  const caller = identityOf(callerPid);
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
      target: { pid: answer.data.pid, startTime: answer.data.startTime },
      caller, reason: 'update-respawn', stopIfRunning: true, deadlineMs, supervised: answer.data.supervised,
    });
    armed.push({ profile: name, gatewayPid: answer.data.pid, watcherPid });
  }
  return { armed, callerFound: caller !== null };
}
