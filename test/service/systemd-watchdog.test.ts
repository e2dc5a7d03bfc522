// The monitor-death alert, for real: `gatehouse install` under a REAL `systemd --user` manager
// (../shared/ci/user-systemd.sh; root only) brings a watchdog timer beside the gateway's unit. When
// the gateway dies and systemd cannot revive it (its config turned fatal, exit 78), the timer's
// `alert --check` raises `gateway_down` to a local webhook receiver, once; a start resolves it; an
// uninstall removes the timer too. The timer, the units and the alert path are all the real ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebhookReceiver } from '../e2e/webhook-receiver.js';
import { LOCK_WAIT_MS, upUserManager, userSystemdSkipReason, waitFor } from './user-systemd.js';

const USER = `ghwd${process.pid}`;
const PROFILE = 'wd';
const UNIT = 'gatehouse-wd.service';
const TIMER = 'gatehouse-wd-watchdog.timer';
const NODE = process.execPath;
const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const CLI = process.env['GATEHOUSE_TEST_CLI'] ?? join(ROOT, 'bin', 'gatehouse.js');
/** Two timer periods (30 s) and the grace, with room for a loaded machine. */
const ALERT_WAIT_MS = 100_000;
const POLL_MS = 500;

const skip = userSystemdSkipReason() || (!existsSync(CLI) ? `${CLI} is missing` : false);

test('under systemd, a gateway that dies and is not revived is alerted by the watchdog timer, once, and resolved by a start', { skip, timeout: LOCK_WAIT_MS + 240_000 }, async (t) => {
  const receiver = await new WebhookReceiver().start();
  t.after(() => receiver.stop());
  const manager = await upUserManager(USER);
  t.after(() => manager.down());
  const home = join(manager.home, 'gatehouse home');
  const profileDir = join(home, 'profiles', PROFILE);
  const configFile = join(profileDir, 'config.json');
  const writeConfig = (text: string): void => {
    writeFileSync(configFile, text);
    chownSync(configFile, manager.uid, manager.gid);
  };
  mkdirSync(profileDir, { recursive: true, mode: 0o700 });
  for (const dir of [home, join(home, 'profiles'), profileDir]) chownSync(dir, manager.uid, manager.gid);
  const good = JSON.stringify({ api: { host: '127.0.0.1', port: 0 }, drain: { timeoutMs: 1_000 }, alerts: { webhook: receiver.url, downAfterMs: 2_000 } });
  writeConfig(good);
  const cli = (...args: string[]) => manager.run(['env', `GATEHOUSE_HOME=${home}`, NODE, CLI, ...args, '--profile', PROFILE], 90_000);
  const systemctl = (...args: string[]) => manager.run(['systemctl', '--user', ...args]);
  const prop = (unit: string, name: string): string => systemctl('show', unit, `--property=${name}`).stdout.trim().replace(`${name}=`, '');

  const installed = cli('install');
  assert.equal(installed.exitCode, 0, `${installed.stdout}\n${installed.stderr}`);
  assert.match(installed.stdout, /watchdog gatehouse-wd-watchdog\.timer active/);
  assert.equal(prop(TIMER, 'ActiveState'), 'active');
  assert.equal(prop(TIMER, 'UnitFileState'), 'enabled');
  const unitDir = join(manager.home, '.config', 'systemd', 'user');
  const runtime = mkdtempSync(join(tmpdir(), 'gh-verify-'));
  t.after(() => rmSync(runtime, { recursive: true, force: true }));
  const verify = spawnSync('systemd-analyze', ['--user', 'verify', join(unitDir, TIMER), join(unitDir, 'gatehouse-wd-watchdog.service')], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtime }, timeout: 30_000 });
  assert.deepEqual([verify.status, verify.stderr], [0, ''], 'the watchdog units pass systemd-analyze verify');
  await waitFor('the gateway to run under systemd', () => (prop(UNIT, 'ActiveState') === 'active' && Number(prop(UNIT, 'MainPID')) > 0 ? true : undefined), 30_000, POLL_MS);

  // Dead for good: the config turns fatal, then everything of the unit is killed. systemd restarts
  // it once, the new monitor exits 78, and RestartPreventExitStatus keeps it down.
  writeConfig(JSON.stringify({ ...JSON.parse(good), api: { host: '127.0.0.1', port: 'not a port' } }));
  assert.equal(systemctl('kill', '--signal=SIGKILL', UNIT).exitCode, 0);
  await waitFor('systemd to give up (exit 78)', () => (prop(UNIT, 'ExecMainStatus') === '78' && prop(UNIT, 'ActiveState') !== 'active' ? true : undefined), 60_000, POLL_MS);
  try {
    await waitFor('the watchdog timer to raise gateway_down', () => (receiver.states('gateway_down').length > 0 ? true : undefined), ALERT_WAIT_MS, POLL_MS);
  } catch (error) {
    const log = (name: string): string => { try { return readFileSync(join(profileDir, 'logs', name), 'utf8').slice(-3_000); } catch { return '(none)'; } };
    throw new Error(`${String(error)}\nwatchdog.log:\n${log('watchdog.log')}\ntimer: ${systemctl('show', TIMER, '--property=ActiveState,LastTriggerUSec,NextElapseUSecMonotonic').stdout}`);
  }
  const [down] = receiver.received.filter((a) => a.gatehouse.incident === 'gateway_down');
  assert.equal(down?.gatehouse.state, 'firing');
  assert.equal(down?.gatehouse.profile, PROFILE);
  assert.match(down?.message ?? '', /not revived/);
  // The timer keeps running; the incident stays one alert.
  const runs = Number(prop('gatehouse-wd-watchdog.service', 'NRestarts') || '0');
  await waitFor('another watchdog run', () => (readFileSync(join(profileDir, 'logs', 'watchdog.log'), 'utf8').split('\n').filter((l) => l.startsWith('down')).length >= 2 ? true : undefined), ALERT_WAIT_MS, POLL_MS);
  assert.deepEqual(receiver.states('gateway_down'), ['firing'], `one alert per incident (runs ${runs})`);

  // Fixed and started: the revived monitor resolves it at once.
  writeConfig(good);
  assert.equal(systemctl('start', UNIT).exitCode, 0);
  await waitFor('gateway_down resolved', () => (receiver.states('gateway_down').length === 2 ? true : undefined), 60_000, POLL_MS);
  assert.deepEqual(receiver.states('gateway_down'), ['firing', 'resolved']);

  const removed = cli('uninstall');
  assert.equal(removed.exitCode, 0, removed.stderr);
  assert.equal(existsSync(join(unitDir, TIMER)), false);
  assert.equal(prop(TIMER, 'LoadState'), 'not-found');
  assert.ok(!readFileSync(join(profileDir, 'logs', 'watchdog.log'), 'utf8').includes(receiver.secret), 'the webhook secret is not in the watchdog log');
});
