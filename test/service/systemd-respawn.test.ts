// Under a REAL `systemd --user` manager (../shared/ci/user-systemd.sh; root only), starts and
// respawns go through the manager, so there is never a monitor beside the unit's:
// - `install --no-start`, then `gatehouse start` starts the unit (it says so) and the unit's MainPID answers;
// - update-respawn armed by an updater (a process group of the test user) that is then SIGKILLed:
//   the watcher asks the gateway for a full restart (exit 75), systemd restarts it: MainPID changes
//   exactly once, one new `start` in the lifecycle log, the new MainPID answers;
// - the same with an updater that ran `gatehouse stop` first (exit 0: systemd does not restart it):
//   the watcher starts the unit through systemd; again one new monitor, and it is the unit's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ancestorsOf, findGatewayMonitors } from '../../src/platform/discovery.js';
import { linux } from '../../src/platform/posix.js';
import { ENTRY_SCRIPT } from '../../src/version.js';
import { LOCK_WAIT_MS, upUserManager, userSystemdSkipReason, USER_SYSTEMD_SCRIPT, type UserManager, waitFor as waitForValue } from './user-systemd.js';

const USER = `ghrs${process.pid}`;
const PROFILE = 'e2e';
const UNIT = 'gatehouse-e2e.service';
const NODE = process.execPath;
const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const CLI = process.env['GATEHOUSE_TEST_CLI'] ?? join(ROOT, 'bin', 'gatehouse.js');
const WAIT_MS = 30_000;
const POLL_MS = 150;

const skip = userSystemdSkipReason() || (!existsSync(CLI) ? `${CLI} is missing` : false);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, boundMs = WAIT_MS): Promise<T> =>
  waitForValue(what, probe, boundMs, POLL_MS);

async function healthPid(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? ((await response.json()) as { pid: number }).pid : undefined;
  } catch {
    return undefined;
  }
}

test('under systemd, start and update-respawn go through the manager: MainPID changes exactly once, never two monitors', { skip, timeout: LOCK_WAIT_MS + 90_000 }, async (t) => {
  const manager: UserManager = await upUserManager(USER);
  t.after(() => manager.down());
  const home = join(manager.home, 'gh');
  const profileDir = join(home, 'profiles', PROFILE);
  mkdirSync(profileDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(profileDir, 'config.json'), JSON.stringify({ api: { host: '127.0.0.1', port: 0 }, drain: { timeoutMs: 1_000 } }));
  for (const path of [home, join(home, 'profiles'), profileDir, join(profileDir, 'config.json')]) chownSync(path, manager.uid, manager.gid);
  const cli = (...args: string[]) => manager.run(['env', `GATEHOUSE_HOME=${home}`, NODE, CLI, ...args, '--profile', PROFILE], 60_000);
  const mainPid = (): number => Number(/MainPID=(\d+)/.exec(manager.run(['systemctl', '--user', 'show', UNIT, '--property=MainPID']).stdout)?.[1] ?? 0);
  const events = (): Array<{ event: string; pid: number; [k: string]: unknown }> =>
    readFileSync(join(profileDir, 'lifecycle.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  const answering = (notPid: number) => waitFor(`a gateway other than pid ${notPid} to answer as the unit's MainPID`, async () => {
    const pid = mainPid();
    if (pid === 0 || pid === notPid) return undefined;
    let url: string;
    try {
      const state = JSON.parse(readFileSync(join(profileDir, 'state.json'), 'utf8')) as { pid: number; api: { url: string } | null };
      if (state.pid !== pid || state.api === null) return undefined;
      url = state.api.url;
    } catch {
      return undefined;
    }
    return (await healthPid(url)) === pid ? pid : undefined;
  });
  /** Every monitor of this profile and home on the machine, found by command line (root reads all). */
  const monitors = (): number[] => {
    const rows = linux.processRows()?.rows ?? [];
    return findGatewayMonitors(rows, { entryScript: ENTRY_SCRIPT, profile: PROFILE, home, defaultHome: '/nonexistent', caseInsensitive: false, exclude: ancestorsOf(process.pid, rows) }).map((r) => r.pid);
  };

  const installed = cli('install', '--no-start');
  assert.equal(installed.exitCode, 0, `${installed.stdout}${installed.stderr}`);
  assert.equal(mainPid(), 0, '--no-start started nothing');

  const started = cli('start');
  assert.equal(started.exitCode, 0, `${started.stdout}${started.stderr}`);
  assert.match(started.stdout, /started through systemd \(pid \d+\)/);
  const first = Number(/pid (\d+)/.exec(started.stdout)?.[1]);
  assert.equal(first, mainPid(), 'the pid start printed is the unit\'s MainPID');
  assert.equal(await answering(0), first);
  assert.deepEqual(monitors(), [first]);

  /** An updater: a process group of the test user that arms the respawn (and maybe stops), then is SIGKILLed. */
  const updaterRound = async (oldPid: number, stopFirst: boolean): Promise<number> => {
    const startsBefore = events().filter((e) => e.event === 'start').length;
    const script = `"${NODE}" "${CLI}" update-respawn --caller-pid $$ && ${stopFirst ? `"${NODE}" "${CLI}" stop --profile ${PROFILE} && ` : ''}echo ARMED && sleep 600`;
    const updater: ChildProcess = spawn('bash', [USER_SYSTEMD_SCRIPT, 'run', USER, '--', 'env', `GATEHOUSE_HOME=${home}`, 'sh', '-c', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => { try { process.kill(-updater.pid!, 'SIGKILL'); } catch { /* gone */ } });
    let out = '';
    updater.stdout?.setEncoding('utf8').on('data', (c: string) => { out += c; });
    updater.stderr?.setEncoding('utf8').on('data', (c: string) => { out += c; });
    await waitFor(`the updater to arm the respawn (${out})`, () => (out.includes('ARMED') ? true : undefined));
    assert.match(out, new RegExp(`${PROFILE}: respawn armed for pid ${oldPid}`));
    if (stopFirst) assert.equal(mainPid(), 0, 'after `gatehouse stop` (exit 0) systemd leaves the unit down');
    // Every MainPID the unit has from now on, sampled while the watcher works.
    const seen: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const pid = mainPid();
        if (pid !== 0 && seen.at(-1) !== pid) seen.push(pid);
        await sleep(POLL_MS);
      }
    })();
    process.kill(-updater.pid!, 'SIGKILL');
    const next = await answering(oldPid);
    const respawn = await waitFor('the watcher to record the respawn', () => events().find((e) => e.event === 'respawn' && e.oldPid === oldPid));
    await sleep(1_500); // long enough to see a second monitor start, were one started
    sampling = false;
    await sampler;
    assert.equal(respawn.ok, true, JSON.stringify(respawn));
    assert.match(String(respawn.via), stopFirst ? /^systemd$/ : /service-manager/);
    assert.deepEqual(seen.filter((p) => p !== oldPid), [next], `MainPID changed exactly once: ${seen.join(' -> ')}`);
    assert.equal(mainPid(), next);
    assert.equal(events().filter((e) => e.event === 'start').length, startsBefore + 1, 'one new monitor started');
    assert.deepEqual(monitors(), [next], 'never two monitors');
    return next;
  };
  const second = await updaterRound(first, false);
  await updaterRound(second, true);
});
