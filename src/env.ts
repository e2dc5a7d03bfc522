// The whole environment contract between the CLI, the monitor and the worker, in one place.
// A process is the worker iff GATEHOUSE_ROLE=worker; the monitor sets it for its child only.
export const ENV = {
  /** Root of all profiles; default: the OS's per-user data dir. */
  HOME: 'GATEHOUSE_HOME',
  /** Set by the monitor on its worker child. Hidden: users never set it. */
  ROLE: 'GATEHOUSE_ROLE',
  /** Set by `start` on the detached monitor: there is no terminal, stdout and stderr are the crash log. */
  DETACHED: 'GATEHOUSE_DETACHED',
  /** Set by a service manager's definition (systemd/launchd/Task Scheduler) on the monitor. */
  SUPERVISED: 'GATEHOUSE_SUPERVISED',
  /** The monitor's instance id, given to its worker so the API can name the gateway. */
  INSTANCE: 'GATEHOUSE_INSTANCE',
  /** Milliseconds `start` waits after the first answer to confirm the gateway stayed alive. */
  START_CONFIRM_MS: 'GATEHOUSE_START_CONFIRM_MS',
} as const;

export type Role = 'monitor' | 'worker';

export function currentRole(env: NodeJS.ProcessEnv = process.env): Role {
  return env[ENV.ROLE] === 'worker' ? 'worker' : 'monitor';
}

/**
 * Environment for the worker child: the parent's, minus anything that is the monitor's alone, with
 * the monitor's home (a hosted monitor's home may not be the process's GATEHOUSE_HOME). The worker
 * prints nothing of its own: its log lines go to the monitor (worker-output.ts), which echoes them
 * in a foreground run.
 */
export function workerEnv(instance: string, home: string, parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...parent };
  delete env[ENV.SUPERVISED];
  env[ENV.ROLE] = 'worker';
  env[ENV.INSTANCE] = instance;
  env[ENV.HOME] = home;
  return env;
}

/**
 * Environment for a CLI command the gateway runs itself (the dashboard's `status --deep`): a plain
 * command of this home, with none of the monitor's or the worker's own flags.
 */
export function commandEnv(home: string, parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...parent };
  for (const name of [ENV.ROLE, ENV.INSTANCE, ENV.DETACHED, ENV.SUPERVISED]) delete env[name];
  env[ENV.HOME] = home;
  return env;
}

/** Environment for a detached monitor started by `start`. */
export function detachedMonitorEnv(parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...parent };
  delete env[ENV.ROLE];
  env[ENV.DETACHED] = '1';
  return env;
}

export function isDetached(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ENV.DETACHED] === '1';
}

/** Started by a service manager: a full restart goes through it (exit 75), not through a watcher. */
export function isSupervised(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ENV.SUPERVISED] === '1';
}
