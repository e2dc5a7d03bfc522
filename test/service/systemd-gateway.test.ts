// The real gateway under a REAL `systemd --user` manager, installed by the real CLI run as a
// throwaway user (../shared/ci/user-systemd.sh; root only). Proves, in one flow (each step needs the
// previous one's state): `install` hands a hand-started gateway over to systemd -> unit active, enabled, answering /healthz; installing twice
// changes nothing; the installed unit is what `install --print` prints and passes
// `systemd-analyze --user verify`; serviceInfo/serviceProbes read the real manager; SIGKILL of the
// monitor -> systemd starts a new one and the old worker does not outlive it; a stray SIGTERM ->
// drained, exit 143, restarted; `systemctl stop` mid-message -> inactive (not failed), the monitor
// drained (lifecycle log) and left the message resume_pending (SQLite);
// `systemctl start` -> exactly one reply; `systemctl restart` -> a new monitor answers; a hand edit
// is reported as drift and repaired; `uninstall` -> no file, LoadState not-found, nothing answers.
// The CLI entry is bin/gatehouse.js, or GATEHOUSE_TEST_CLI (an entry with `install` registered).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { LOCK_WAIT_MS, upUserManager, userSystemdSkipReason, type UserManager, waitFor as waitForValue } from './user-systemd.js';

const USER = `ghgw${process.pid}`;
const PROFILE = 'e2e';
const UNIT = 'gatehouse-e2e.service';
const NODE = process.execPath;
/** dist/test/service/ -> the checkout. */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const CLI = process.env['GATEHOUSE_TEST_CLI'] ?? join(ROOT, 'bin', 'gatehouse.js');
/** Longer than the echo agent's delay plus a drain: the message is in flight when the stop comes. */
const AGENT_DELAY_MS = 3_000;
const DRAIN_TIMEOUT_MS = 1_000;
const WAIT_MS = 20_000;
const POLL_MS = 200;
const HTTP_TIMEOUT_MS = 2_000;

const skip = userSystemdSkipReason() || (!existsSync(CLI) ? `${CLI} is missing` : false);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, boundMs = WAIT_MS): Promise<T> =>
  waitForValue(what, probe, boundMs, POLL_MS);

interface Health { ok: boolean; pid: number; instance: string }

async function getJson<T>(url: string, token?: string): Promise<T | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS), headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined; // not answering (yet)
  }
}

function setup(manager: UserManager) {
  const home = join(manager.home, 'gatehouse home');
  const profileDir = join(home, 'profiles', PROFILE);
  mkdirSync(profileDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(profileDir, 'config.json'), JSON.stringify({
    api: { host: '127.0.0.1', port: 0 }, agent: { kind: 'echo', delayMs: AGENT_DELAY_MS }, drain: { timeoutMs: DRAIN_TIMEOUT_MS },
  }));
  for (const dir of [home, join(home, 'profiles'), profileDir, join(profileDir, 'config.json')]) chownSync(dir, manager.uid, manager.gid);
  const cli = (...args: string[]) => manager.run(['env', `GATEHOUSE_HOME=${home}`, NODE, CLI, ...args, '--profile', PROFILE], 90_000);
  const systemctl = (...args: string[]) => manager.run(['systemctl', '--user', ...args]);
  const show = (): Map<string, string> => {
    const out = systemctl('show', UNIT, '--property=ActiveState,SubState,UnitFileState,MainPID,LoadState,Result,ExecMainStatus,NRestarts').stdout;
    return new Map(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  };
  const mainPid = (): number => Number(show().get('MainPID'));
  /** The monitor systemd runs now answers /healthz on the URL its state file gives. */
  const answering = (notPid?: number) => waitFor(`the gateway of MainPID ${notPid === undefined ? '' : `!= ${notPid}`} to answer /healthz`, async () => {
    const pid = mainPid();
    if (pid === 0 || pid === notPid || show().get('ActiveState') !== 'active') return undefined;
    let state: { pid: number; state: string; api: { url: string } | null };
    try {
      state = JSON.parse(readFileSync(join(profileDir, 'state.json'), 'utf8'));
    } catch {
      return undefined; // not written yet, or mid-rename
    }
    if (state.pid !== pid || state.api === null) return undefined;
    const health = await getJson<Health & { workerPid: number }>(`${state.api.url}/healthz`);
    return health?.pid === pid ? { pid, url: state.api.url, workerPid: health.workerPid } : undefined;
  });
  /** serviceInfo + serviceProbes as the user (root cannot reach the user's manager). */
  const inspect = (): { info: { kind: string | null; installed: boolean; enabled: boolean; detail: { state: string; manager: string } }; probes: Array<{ id: string; ok: boolean; detail: string }> } => {
    const script = `
      const { serviceProbes } = await import(${JSON.stringify(join(ROOT, 'dist/src/control/service-info.js'))});
      const { serviceInfo } = await import(${JSON.stringify(join(ROOT, 'dist/src/control/service-status.js'))});
      const { profilePaths } = await import(${JSON.stringify(join(ROOT, 'dist/src/paths.js'))});
      const paths = profilePaths(${JSON.stringify(PROFILE)});
      process.stdout.write(JSON.stringify({ info: await serviceInfo(paths), probes: await serviceProbes(paths) }));`;
    const result = manager.run(['env', `GATEHOUSE_HOME=${home}`, NODE, '--input-type=module', '-e', script]);
    assert.equal(result.exitCode, 0, result.stderr);
    return JSON.parse(result.stdout);
  };
  return { home, profileDir, cli, systemctl, show, mainPid, answering, inspect, token: () => readFileSync(join(profileDir, 'token'), 'utf8').trim() };
}

/** Read sessions.db from a copy (with its WAL), so root never leaves files in the user's profile. */
function readMessages(profileDir: string): Array<{ id: string; role: string; status: string; reply_to: string | null; text: string }> {
  const copy = mkdtempSync(join(tmpdir(), 'gh-db-'));
  try {
    for (const name of readdirSync(profileDir).filter((n) => n.startsWith('sessions.db'))) copyFileSync(join(profileDir, name), join(copy, name));
    const db = new DatabaseSync(join(copy, 'sessions.db'), { readOnly: true });
    try {
      return db.prepare('SELECT id, role, status, reply_to, text FROM messages ORDER BY created_at').all() as never;
    } finally {
      db.close();
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

function lifecycleEvents(profileDir: string, fromLine: number): Array<{ event: string; [key: string]: unknown }> {
  return readFileSync(join(profileDir, 'lifecycle.jsonl'), 'utf8').split('\n').filter((l) => l !== '').slice(fromLine).map((l) => JSON.parse(l));
}

test('gatehouse install runs the gateway under a real systemd user manager: revive, drain, resume, restart, drift, uninstall', { skip, timeout: LOCK_WAIT_MS + 120_000 }, async (t) => {
  const manager = await upUserManager(USER);
  t.after(() => manager.down()); // always, even when an assertion fails
  const gw = setup(manager);
  const unitFile = join(manager.home, '.config', 'systemd', 'user', UNIT);

  // --print first: it must install nothing.
  const printed = gw.cli('install', '--print');
  assert.equal(printed.exitCode, 0, `${printed.stderr} (${CLI}: is registerServiceCommands wired into src/cli/program.ts?)`);
  assert.equal(existsSync(unitFile), false, '--print installs nothing');
  const [header, ...rest] = printed.stdout.split('\n');
  // The unit is the first file printed; the watchdog's files follow, each after its own header.
  const nextHeader = rest.findIndex((line) => line.startsWith('==> '));
  const body = nextHeader === -1 ? rest : [...rest.slice(0, nextHeader), ''];
  assert.match(rest[nextHeader] ?? '', /gatehouse-e2e-watchdog\.service \(systemd watchdog service/);
  assert.equal(header, `==> ${unitFile} (systemd user unit) <==`);

  // A gateway started by hand holds the profile's lock: install hands it over to systemd.
  const manual = gw.cli('start');
  assert.equal(manual.exitCode, 0, `${manual.stdout}\n${manual.stderr}`);
  const manualPid = Number(/pid (\d+)/.exec(manual.stdout)?.[1]);
  assert.ok(manualPid > 0, manual.stdout);

  const installed = gw.cli('install');
  assert.equal(installed.exitCode, 0, `${installed.stdout}\n${installed.stderr}`);
  assert.match(installed.stdout, new RegExp(`stopped the gateway started outside the service manager \\(pid ${manualPid}\\)`));
  assert.match(installed.stdout, /systemd-user: wrote .*enabled at login; started/);
  assert.match(installed.stderr, /linger/, 'linger is reported (on, off with the command, or not checkable)');
  assert.equal(readFileSync(unitFile, 'utf8'), body.join('\n'), 'the installed unit is what --print printed');
  const runtime = mkdtempSync(join(tmpdir(), 'gh-verify-'));
  t.after(() => rmSync(runtime, { recursive: true, force: true }));
  const verify = spawnSync('systemd-analyze', ['--user', 'verify', unitFile], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtime }, timeout: 30_000 });
  assert.deepEqual([verify.status, verify.stderr], [0, ''], 'the installed unit passes systemd-analyze verify');
  assert.deepEqual([gw.show().get('ActiveState'), gw.show().get('UnitFileState')], ['active', 'enabled']);
  const first = await gw.answering();
  assert.notEqual(first.pid, manualPid, 'the gateway now runs under systemd');

  const again = gw.cli('install');
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /unit unchanged.*already running/);
  assert.equal(gw.mainPid(), first.pid, 'installing twice restarts nothing');

  // serviceInfo and serviceProbes (what status calls) against the real manager, as the user.
  const info = gw.inspect();
  assert.deepEqual([info.info.kind, info.info.installed, info.info.enabled, info.info.detail.state], ['systemd-user', true, true, 'running']);
  for (const said of ['ActiveState=active', 'SubState=running', 'UnitFileState=enabled', `MainPID=${first.pid}`]) assert.ok(info.info.detail.manager.split(' ').includes(said), info.info.detail.manager);
  const probe = (id: string) => info.probes.find((p) => p.id === id);
  assert.deepEqual([probe('service-file')?.ok, probe('service')?.ok, probe('service-login')?.ok], [true, true, true]);
  assert.ok(probe('linger') !== undefined, 'a linger probe on Linux');

  // SIGKILL of the monitor: Restart=always brings up a new one; the old worker does not linger.
  assert.ok(first.pid > 0);
  process.kill(first.pid, 'SIGKILL');
  const killed = await gw.answering(first.pid);
  await waitFor('the old worker to exit with its monitor', () => { try { process.kill(first.workerPid, 0); return undefined; } catch { return true; } });

  // A stray SIGTERM (not `gatehouse stop`, not systemctl's stop): it drains, exits 143, and systemd
  // brings it back (Restart=always), where an exit 0 would have left the gateway down for good.
  const restartsBefore = Number(gw.show().get('NRestarts'));
  const termLine = lifecycleEvents(gw.profileDir, 0).length;
  process.kill(killed.pid, 'SIGTERM');
  const revived = await gw.answering(killed.pid);
  assert.equal(Number(gw.show().get('NRestarts')), restartsBefore + 1, 'systemd restarted it');
  const termed = lifecycleEvents(gw.profileDir, termLine);
  assert.deepEqual(termed.filter((e) => e.event === 'exit' && e.pid === killed.pid).map((e) => e.code), [143]);
  assert.ok(termed.some((e) => e.event === 'drain_end' && e.pid === killed.pid), 'it drained before exiting');

  // A message in flight when systemd stops the unit: drained, resume_pending, answered once after start.
  const posted = await fetch(`${revived.url}/v1/sessions/s1/messages`, {
    method: 'POST', headers: { authorization: `Bearer ${gw.token()}`, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hello' }),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  assert.equal(posted.status, 202);
  const { messageId } = (await posted.json()) as { messageId: string };
  await waitFor('the message to be processing', async () => {
    const session = await getJson<{ messages: Array<{ id: string; status: string }> }>(`${revived.url}/v1/sessions/s1`, gw.token());
    return session?.messages.find((m) => m.id === messageId)?.status === 'processing' ? true : undefined;
  });
  const linesBefore = lifecycleEvents(gw.profileDir, 0).length;
  const stopped = gw.systemctl('stop', UNIT);
  assert.equal(stopped.exitCode, 0, stopped.stderr);
  // systemctl's stop is the same SIGTERM: exit 143 is in SuccessExitStatus, so inactive, not failed.
  assert.deepEqual([gw.show().get('ActiveState'), gw.show().get('Result')], ['inactive', 'success'], 'a drained stop: inactive, not failed');
  const events = lifecycleEvents(gw.profileDir, linesBefore).map((e) => e.event);
  assert.ok(events.includes('drain_begin') && events.indexOf('drain_end') > events.indexOf('drain_begin'), `drained: ${events.join(', ')}`);
  const afterStop = readMessages(gw.profileDir);
  assert.equal(afterStop.find((m) => m.id === messageId)?.status, 'resume_pending');
  assert.equal(afterStop.filter((m) => m.reply_to === messageId).length, 0, 'not answered before the stop');

  const started = gw.systemctl('start', UNIT);
  assert.equal(started.exitCode, 0, started.stderr);
  const third = await gw.answering(revived.pid);
  const replies = await waitFor('the resumed reply', () => {
    const rows = readMessages(gw.profileDir);
    return rows.find((m) => m.id === messageId)?.status === 'done' ? rows.filter((m) => m.reply_to === messageId) : undefined;
  });
  assert.deepEqual(replies.map((r) => [r.role, r.text]), [['assistant', 'echo: hello']], 'exactly one reply');

  const restarted = gw.systemctl('restart', UNIT);
  assert.equal(restarted.exitCode, 0, restarted.stderr);
  const fourth = await gw.answering(third.pid);
  assert.equal(readMessages(gw.profileDir).filter((m) => m.reply_to === messageId).length, 1, 'still exactly one reply after a restart');

  // Drift: a hand edit is repaired by the next install (--no-start: no further start counted).
  writeFileSync(unitFile, readFileSync(unitFile, 'utf8').replace('RestartSec=5', 'RestartSec=60'));
  const drifted = gw.inspect().probes.find((p) => p.id === 'service-file');
  assert.equal(drifted?.ok, false, `drift is a FAIL: ${drifted?.detail}`);
  const repaired = gw.cli('install', '--no-start');
  assert.equal(repaired.exitCode, 0, repaired.stderr);
  assert.match(repaired.stdout, /had drifted/);
  assert.equal(readFileSync(unitFile, 'utf8'), body.join('\n'));
  assert.equal(gw.inspect().probes.find((p) => p.id === 'service-file')?.ok, true);

  const removed = gw.cli('uninstall');
  assert.equal(removed.exitCode, 0, removed.stderr);
  assert.equal(existsSync(unitFile), false);
  assert.equal(gw.show().get('LoadState'), 'not-found');
  assert.equal(await getJson(`${fourth.url}/healthz`), undefined, 'uninstall stopped the gateway');
  const after = gw.inspect();
  assert.deepEqual([after.info.kind, after.info.installed, after.info.enabled], [null, false, false]);
});
