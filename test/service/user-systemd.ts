// A real `systemd --user` manager for a throwaway user, through ../shared/ci/user-systemd.sh (root
// only). `up` and `down` are serialized across test files with a lock directory: the script's
// `down` removes /run/systemd/system, which another file's manager may still rely on.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBounded, type RunResult } from '../../src/platform/spawn.js';

/**
 * The script in shared/, which sits beside the checkout (dist/test/service/ -> ../../../../shared);
 * GATEHOUSE_USER_SYSTEMD_SCRIPT overrides; the workplace's own shared/ is the last resort (a clone
 * made elsewhere, as when checking a fresh clone by hand).
 */
export const USER_SYSTEMD_SCRIPT = [
  process.env['GATEHOUSE_USER_SYSTEMD_SCRIPT'],
  resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/ci/user-systemd.sh'),
  '/work/shared/ci/user-systemd.sh',
].find((path): path is string => path !== undefined && existsSync(path)) ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/ci/user-systemd.sh');
const SCRIPT_TIMEOUT_MS = 60_000;
const LOCK_DIR = '/tmp/gatehouse-user-systemd.lock';
/**
 * Longer than all the other real-systemd test files hold the lock together (the watchdog test alone
 * takes up to two minutes under load; with the gateway and real-manager files ahead of it the last
 * waiter waited past 180 s). Each test's timeout adds it to its own budget: waiting for the lock
 * (while the other files run) counts against the test's timeout.
 */
export const LOCK_WAIT_MS = 420_000;
const LOCK_POLL_MS = 250;
const WAIT_POLL_MS = 200;

/** Poll `probe` until it gives a value (anything but undefined); fail naming `what` after boundMs. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, boundMs: number, pollMs = WAIT_POLL_MS): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${boundMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** Why real-systemd tests cannot run here, or false. */
export function userSystemdSkipReason(): string | false {
  if (process.platform !== 'linux') return 'systemd user units exist on Linux only';
  if (process.getuid?.() !== 0) return 'needs root (user-systemd.sh creates a throwaway user)';
  if (!existsSync(USER_SYSTEMD_SCRIPT)) return `${USER_SYSTEMD_SCRIPT} is missing`;
  if (!existsSync('/lib/systemd/systemd')) return 'systemd is not installed';
  if (process.env['GATEHOUSE_SKIP_REAL_SYSTEMD'] === '1') return 'GATEHOUSE_SKIP_REAL_SYSTEMD=1';
  return false;
}

export interface UserManager {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /** Run argv as the user, with XDG_RUNTIME_DIR and DBUS set so `systemctl --user` reaches the manager. */
  run(argv: readonly string[], timeoutMs?: number): RunResult;
  /** Stop the manager, remove the user; always call it (t.after). Idempotent. */
  down(): void;
}

function ownerAlive(): boolean {
  try {
    process.kill(Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    return false; // no owner file yet, or its process is gone
  }
}

async function lock(): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      return;
    } catch {
      // held by another test file, or left by a dead one (checked below)
    }
    if (!ownerAlive()) {
      await sleep(LOCK_POLL_MS); // the owner may be between mkdir and writing its pid
      if (!ownerAlive()) rmSync(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${LOCK_DIR} held for more than ${LOCK_WAIT_MS} ms`);
    await sleep(LOCK_POLL_MS);
  }
}

export async function upUserManager(user: string): Promise<UserManager> {
  await lock();
  let isDown = false;
  const down = (): void => {
    if (isDown) return;
    isDown = true;
    spawnSync('bash', [USER_SYSTEMD_SCRIPT, 'down', user], { timeout: SCRIPT_TIMEOUT_MS });
    rmSync(LOCK_DIR, { recursive: true, force: true });
  };
  const up = spawnSync('bash', [USER_SYSTEMD_SCRIPT, 'up', user], { encoding: 'utf8', timeout: SCRIPT_TIMEOUT_MS });
  if (up.status !== 0) {
    down();
    throw new Error(`user-systemd.sh up ${user} failed (${up.status ?? up.signal}): ${up.stderr}`);
  }
  const [, , uid, gid, , home] = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.trim().split(':');
  return {
    user, uid: Number(uid), gid: Number(gid), home: home as string, down,
    run: (argv, timeoutMs = SCRIPT_TIMEOUT_MS) => runBounded('bash', [USER_SYSTEMD_SCRIPT, 'run', user, '--', ...argv], { timeoutMs }),
  };
}
