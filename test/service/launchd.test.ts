// The LaunchAgent backend against a stateful launchctl fake, in a temp LaunchAgents directory:
// install, idempotence, drift, error 5 after a too-early bootstrap, 125 without a GUI session,
// --no-start/--no-login, planned stop vs crash, uninstall, and hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOTSTRAP_ATTEMPTS, createLaunchdBackend, LAUNCHCTL_TIMEOUT_MS } from '../../src/service/launchd.js';
import { launchdLabel } from '../../src/service/launchd-plist.js';
import { buildServiceSpec } from '../../src/service/spec.js';
import { FakeLaunchctl } from './fake-launchctl.js';

const UID = 501;
const LABEL = launchdLabel('work');
const BOTH = { start: true, login: true };

function setup(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'gh-launchd-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const agentsDir = join(root, 'LaunchAgents');
  const fake = new FakeLaunchctl(UID);
  const backend = createLaunchdBackend({ agentsDir, uid: UID, run: fake.run, sleep: async () => {}, retryDelayMs: 0 });
  const spec = buildServiceSpec({ profile: 'work', nodePath: '/usr/local/bin/node', entryScript: '/opt/g/main.js', home: join(root, 'home'), workingDirectory: join(root, 'home', 'profiles', 'work'), logDir: join(root, 'Logs') });
  return { fake, backend, spec, file: join(agentsDir, `${LABEL}.plist`) };
}

test('install writes the plist (0644) in the injected directory and bootstraps it in gui/<uid>; it runs', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  const result = await backend.install(spec, BOTH);
  assert.ok(result.ok, result.detail);
  assert.equal(readFileSync(file, 'utf8'), backend.render(spec)[0]?.content);
  assert.equal(statSync(file).mode & 0o777, 0o644, 'launchd refuses group- or world-writable plists');
  assert.ok(fake.calls.some((c) => c.args.join(' ') === `bootstrap gui/${UID} ${file}`));
  assert.equal(fake.jobs.get(LABEL)?.pid !== null, true);
  const status = await backend.status('work');
  assert.deepEqual([status.installed, status.enabled, status.state], [true, true, 'running']);
  assert.ok(fake.calls.every((c) => c.timeoutMs > 0 && c.timeoutMs <= LAUNCHCTL_TIMEOUT_MS + 60_000), 'every launchctl call is bounded');
});

test('installing twice changes nothing; a hand edit is drift: rewritten, booted out and bootstrapped again', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  await backend.install(spec, BOTH);
  const pid = fake.jobs.get(LABEL)?.pid;
  fake.calls.length = 0;
  const again = await backend.install(spec, BOTH);
  assert.match(again.detail, /plist unchanged.*already running/);
  assert.ok(!fake.verbs().includes('bootout') && !fake.verbs().includes('bootstrap'));
  assert.equal(fake.jobs.get(LABEL)?.pid, pid);

  writeFileSync(file, readFileSync(file, 'utf8').replace('<integer>10</integer>', '<integer>1</integer>'));
  const repaired = await backend.install(spec, BOTH);
  assert.ok(repaired.ok, repaired.detail);
  assert.match(repaired.detail, /had drifted.*reloaded and started/);
  assert.equal(readFileSync(file, 'utf8'), backend.render(spec)[0]?.content);
  assert.notEqual(fake.jobs.get(LABEL)?.pid, pid, 'the job runs the new definition');
});

test('error 5 from a bootstrap that comes too early after bootout is retried, boundedly', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  await backend.install(spec, BOTH);
  fake.slowTeardown = BOOTSTRAP_ATTEMPTS - 1;
  const retried = await backend.install({ ...spec, drainTimeoutMs: 60_000 }, BOTH);
  assert.ok(retried.ok, retried.detail);
  assert.equal(fake.calls.filter((c) => c.args[0] === 'bootstrap' && c.args[2] === file).length, 1 + BOOTSTRAP_ATTEMPTS);

  fake.slowTeardown = BOOTSTRAP_ATTEMPTS + 5;
  const gaveUp = await backend.install({ ...spec, drainTimeoutMs: 90_000 }, BOTH);
  assert.deepEqual([gaveUp.ok, gaveUp.exitCode], [false, 5]);
  assert.match(gaveUp.detail, new RegExp(`still failing after ${BOOTSTRAP_ATTEMPTS} attempts`));
});

test('no GUI session (125): installed for the next login, but not claimed as started; --no-start succeeds', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  fake.guiSession = false;
  const result = await backend.install(spec, BOTH);
  assert.deepEqual([result.ok, result.exitCode], [false, 125]);
  assert.match(result.detail, /no GUI login session.*next login.*--no-start/);
  assert.equal(existsSync(file), true);
  const noStart = await backend.install(spec, { start: false, login: true });
  assert.ok(noStart.ok, noStart.detail);
  assert.equal(await backend.isEnabled('work'), true);
});

test('--no-login disables the label (the override outlives bootout); --no-start loads nothing', async (t) => {
  const { fake, backend, spec } = setup(t);
  const result = await backend.install(spec, { start: true, login: false });
  assert.ok(result.ok, result.detail);
  assert.equal(fake.overrides.get(LABEL), true);
  assert.deepEqual(await backend.status('work').then((s) => [s.enabled, s.state]), [false, 'running']);
  const { fake: fresh, backend: other, spec: s2 } = setup(t);
  assert.ok((await other.install(s2, { start: false, login: true })).ok);
  assert.equal(fresh.jobs.has(LABEL), false, 'the gateway is not loaded (its watchdog is: see launchd-watchdog.test.ts)');
  assert.deepEqual(await other.status('work').then((s) => [s.installed, s.enabled, s.state]), [true, true, 'stopped']);
});

test('KeepAlive relaunches a crash and a stray SIGTERM (exit 143) but not a planned stop; stop boots out; start brings it back', async (t) => {
  const { fake, backend, spec } = setup(t);
  await backend.install(spec, BOTH);
  const pid = fake.jobs.get(LABEL)?.pid;
  fake.exit(LABEL, 1);
  assert.notEqual(fake.jobs.get(LABEL)?.pid ?? null, null, 'a crash is relaunched');
  assert.notEqual(fake.jobs.get(LABEL)?.pid, pid);
  const crashed = fake.jobs.get(LABEL)?.pid;
  fake.run('launchctl', ['kill', 'SIGTERM', `gui/${UID}/${LABEL}`], { timeoutMs: 1_000 });
  assert.notEqual(fake.jobs.get(LABEL)?.pid ?? crashed, crashed, 'a stray SIGTERM (exit 143) is relaunched');
  fake.exit(LABEL, 0);
  assert.equal((await backend.status('work')).state, 'stopped', 'a planned exit 0 stays down');
  assert.ok((await backend.start('work')).ok);
  const stopped = await backend.stop('work');
  assert.ok(stopped.ok, stopped.detail);
  assert.ok(fake.calls.some((c) => c.args.join(' ') === `bootout gui/${UID}/${LABEL}`), 'the stop is a bootout');
  assert.equal((await backend.status('work')).state, 'stopped', 'a stopped job is not relaunched');
  assert.ok((await backend.start('work')).ok);
  assert.equal((await backend.status('work')).state, 'running');
});

test('a job installed with --no-login starts again after a stop, and stays disabled at login', async (t) => {
  const { fake, backend, spec } = setup(t);
  assert.ok((await backend.install(spec, { start: true, login: false })).ok);
  assert.ok((await backend.stop('work')).ok);
  assert.equal(fake.jobs.has(LABEL), false);
  const started = await backend.start('work');
  assert.ok(started.ok, started.detail);
  assert.equal((await backend.status('work')).state, 'running');
  assert.equal(fake.overrides.get(LABEL), true, 'still disabled at login');
});

test('uninstall boots out and removes the plist; twice is fine; a hang is a bounded failure', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  await backend.install(spec, BOTH);
  const removed = await backend.uninstall('work');
  assert.ok(removed.ok, removed.detail);
  assert.equal(existsSync(file), false);
  assert.equal(fake.jobs.size, 0);
  assert.equal((await backend.status('work')).state, 'not-installed');
  assert.ok((await backend.uninstall('work')).ok);
  fake.inject.set('bootstrap', 'hang');
  const hung = await backend.install(spec, BOTH);
  assert.deepEqual([hung.ok, hung.timedOut], [false, true]);
});
