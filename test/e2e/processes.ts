// The gateway processes of one test home, read from /proc at one instant (Linux): what the OS says
// runs, to hold status and the supervisor's bookkeeping against. Respawn watchers and CLI commands
// are not gateway processes; a monitor is a `run` process without GATEHOUSE_ROLE=worker.
import { readdirSync, readFileSync } from 'node:fs';
import { CLI, type TestHome } from './harness.js';

export interface GatewayProcesses {
  readonly monitors: number[];
  readonly workers: number[];
}

function readNul(file: string): string[] | null {
  try {
    return readFileSync(file, 'utf8').split('\0').filter((part) => part !== '');
  } catch {
    return null; // gone meanwhile, or a zombie
  }
}

function isZombie(pid: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export function gatewayProcesses(home: TestHome): GatewayProcesses {
  const monitors: number[] = [];
  const workers: number[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const argv = readNul(`/proc/${pid}/cmdline`);
    const entry = argv?.indexOf(CLI) ?? -1;
    if (argv === null || entry < 1 || argv[entry + 1] !== 'run' || isZombie(pid)) continue;
    const env = readNul(`/proc/${pid}/environ`) ?? [];
    if (!env.includes(`GATEHOUSE_HOME=${home.home}`)) continue;
    (env.includes('GATEHOUSE_ROLE=worker') ? workers : monitors).push(Number(pid));
  }
  return { monitors, workers };
}
