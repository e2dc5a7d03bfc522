// The control layer behind `gatehouse install/uninstall` and status' service fields, with the
// platform chosen by an injected host and each manager a stateful fake: the spec it builds
// (absolute node and entry, resolved home, drain from config.json), that every directory comes
// from the environment, --print touching nothing, drift as a FAIL probe, and unsupported platforms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installService, renderService, serviceDrainTimeoutMs, uninstallService } from '../../src/control/service-install.js';
import { serviceProbes } from '../../src/control/service-info.js';
import { serviceInfo } from '../../src/control/service-status.js';
import { profilePaths } from '../../src/paths.js';
import { SERVICE_DIR_ENV, type ServiceHost } from '../../src/service/select.js';
import { parseSystemdUnit } from '../../src/service/systemd-unit.js';
import { parseLaunchAgent } from '../../src/service/launchd-plist.js';
import { ENTRY_SCRIPT } from '../../src/version.js';
import { FakeSystemctl } from './fake-systemctl.js';
import { FakeLaunchctl } from './fake-launchctl.js';

function setup(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'gh-svc-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const paths = profilePaths('work', { GATEHOUSE_HOME: join(root, 'home') });
  return { root, paths };
}

function linuxHost(root: string): { host: ServiceHost; fake: FakeSystemctl; unitFile: string } {
  const unitDir = join(root, 'xdg', 'systemd', 'user');
  const fake = new FakeSystemctl(unitDir);
  return { fake, unitFile: join(unitDir, 'gatehouse-work.service'), host: { platform: 'linux', env: { [SERVICE_DIR_ENV.XDG_CONFIG_HOME]: join(root, 'xdg') }, userHome: join(root, 'nothome'), user: 'ana', uid: 1000, run: fake.run } };
}

test('linux: install writes the unit under $XDG_CONFIG_HOME with the spec the contract asks for', async (t) => {
  const { root, paths } = setup(t);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, JSON.stringify({ drain: { timeoutMs: 12_500 } }));
  const { host, fake, unitFile } = linuxHost(root);
  const outcome = await installService(paths, { start: true, login: true }, host);
  assert.ok(outcome.ok, outcome.error ?? '');
  assert.equal(outcome.kind, 'systemd-user');
  assert.ok(outcome.warnings.some((w) => /linger/.test(w)), 'linger is reported');
  const parsed = parseSystemdUnit(readFileSync(unitFile, 'utf8'));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.spec, {
    profile: 'work', nodePath: process.execPath, entryScript: ENTRY_SCRIPT, args: ['run', '--profile', 'work'],
    env: { GATEHOUSE_HOME: paths.home, GATEHOUSE_SUPERVISED: '1' }, workingDirectory: paths.dir, drainTimeoutMs: 13_000, logDir: paths.logDir,
  });
  assert.equal(existsSync(join(root, 'nothome')), false, 'nothing written outside the injected directories');
  assert.ok(fake.active.has('gatehouse-work.service'));
  assert.deepEqual(await serviceInfo(paths, host).then((i) => [i.kind, i.installed, i.enabled, i.detail?.state]), ['systemd-user', true, true, 'running']);
});

test('serviceProbes: PASS when as installed, FAIL with a repair hint on drift, informative when not installed', async (t) => {
  const { root, paths } = setup(t);
  const { host, fake, unitFile } = linuxHost(root);
  assert.deepEqual((await serviceProbes(paths, host)).map((p) => [p.id, p.ok]), [['service', true]]);
  assert.deepEqual(await serviceInfo(paths, host).then((i) => [i.kind, i.installed]), [null, false]);
  await installService(paths, { start: true, login: true }, host);
  const probes = await serviceProbes(paths, host);
  assert.deepEqual(probes.map((p) => [p.id, p.ok]), [['service-file', true], ['service', true], ['service-login', true], ['linger', probes[3]?.ok]]);
  assert.match(probes[1]?.detail ?? '', /ActiveState=active/);
  writeFileSync(unitFile, readFileSync(unitFile, 'utf8').replace('KillMode=mixed', 'KillMode=process'));
  fake.active.clear();
  const drifted = await serviceProbes(paths, host);
  assert.deepEqual(drifted.slice(0, 2).map((p) => [p.id, p.ok]), [['service-file', false], ['service', false]]);
  assert.match(drifted[0]?.hint ?? '', /gatehouse install --profile work/);
});

test('--print renders without touching the disk or the manager', async (t) => {
  const { root, paths } = setup(t);
  const { host, fake } = linuxHost(root);
  const { kind, definitions } = await renderService(paths, host);
  assert.equal(kind, 'systemd-user');
  assert.deepEqual(definitions.map((d) => d.role), ['systemd user unit', 'systemd watchdog service (alert --check)', 'systemd watchdog timer']);
  assert.equal(existsSync(join(root, 'xdg')) || existsSync(paths.home), false);
  assert.equal(fake.calls.length, 0);
});

test('darwin: the plist goes to GATEHOUSE_LAUNCH_AGENTS_DIR, logs to GATEHOUSE_MAC_LOG_DIR; uninstall removes it', async (t) => {
  const { root, paths } = setup(t);
  const fake = new FakeLaunchctl(501);
  const host: ServiceHost = {
    platform: 'darwin', userHome: join(root, 'nothome'), user: 'ana', uid: 501, run: fake.run,
    env: { [SERVICE_DIR_ENV.LAUNCH_AGENTS_DIR]: join(root, 'agents'), [SERVICE_DIR_ENV.MAC_LOG_DIR]: join(root, 'maclogs') },
  };
  const outcome = await installService(paths, { start: true, login: true }, host);
  assert.ok(outcome.ok, outcome.error ?? '');
  const plist = join(root, 'agents', 'io.gatehouse.gateway.work.plist');
  const parsed = parseLaunchAgent(readFileSync(plist, 'utf8'));
  assert.ok(parsed.ok);
  assert.equal(parsed.spec.logDir, join(root, 'maclogs'));
  assert.deepEqual(outcome.warnings, [], 'no linger outside Linux');
  assert.equal((await serviceInfo(paths, host)).kind, 'launchd');
  const removed = await uninstallService(paths, host);
  assert.ok(removed.ok, removed.error ?? '');
  assert.equal(existsSync(plist), false);
  assert.equal(existsSync(join(root, 'nothome')), false);
});

test('an unsupported platform is a clear failure, and status still works', async (t) => {
  const { root, paths } = setup(t);
  const host: ServiceHost = { platform: 'aix', env: {}, userHome: root, user: 'ana', uid: 1 };
  const outcome = await installService(paths, { start: true, login: true }, host);
  assert.deepEqual([outcome.ok, outcome.exitCode], [false, 1]);
  assert.match(outcome.error ?? '', /not available on aix/);
  assert.deepEqual(await serviceInfo(paths, host).then((i) => [i.kind, i.installed, i.enabled]), [null, false, false]);
});

test('the drain timeout becomes whole seconds, never shorter than configured', () => {
  assert.deepEqual([0, 1, 999, 1_000, 1_001, 30_000].map(serviceDrainTimeoutMs), [1_000, 1_000, 1_000, 1_000, 2_000, 30_000]);
});
