// The systemd user backend against a stateful systemctl fake, in a temp unit directory: install,
// idempotence, drift repair, --no-start/--no-login, uninstall, and manager failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSystemdUserBackend } from '../../src/service/systemd-user.js';
import { systemdUserDir } from '../../src/service/systemd-unit.js';
import { buildServiceSpec } from '../../src/service/spec.js';
import { FakeSystemctl } from './fake-systemctl.js';

function setup(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'gh-systemd-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const unitDir = systemdUserDir(join(root, 'config'));
  const fake = new FakeSystemctl(unitDir);
  const lingerDir = join(root, 'linger');
  mkdirSync(lingerDir);
  const backend = createSystemdUserBackend({ unitDir, run: fake.run, lingerDir, user: 'ana' });
  const spec = buildServiceSpec({ profile: 'work', nodePath: '/usr/bin/node', entryScript: '/opt/g.js', home: join(root, 'home'), workingDirectory: root, logDir: join(root, 'logs') });
  return { root, unitDir, fake, backend, spec, file: join(unitDir, 'gatehouse-work.service') };
}

const BOTH = { start: true, login: true };

test('install writes the unit in the injected directory, reloads, enables and starts it', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  const result = await backend.install(spec, BOTH);
  assert.ok(result.ok, result.detail);
  assert.equal(readFileSync(file, 'utf8'), backend.render(spec)[0]?.content);
  assert.deepEqual(fake.verbs(), [
    'show', 'is-active gatehouse-work.service', 'daemon-reload', 'enable gatehouse-work.service', 'start gatehouse-work.service', 'is-active gatehouse-work.service',
    'daemon-reload', 'enable gatehouse-work-watchdog.timer', 'start gatehouse-work-watchdog.timer',
  ]);
  // The watchdog beside it: written as rendered, enabled and running.
  for (const definition of backend.render(spec).slice(1)) assert.equal(readFileSync(definition.path, 'utf8'), definition.content);
  assert.ok(fake.enabled.has('gatehouse-work-watchdog.timer') && fake.active.has('gatehouse-work-watchdog.timer'));
  assert.match(result.detail, /watchdog gatehouse-work-watchdog\.timer active/);
  assert.doesNotMatch(result.detail, /linger/, 'linger is reported apart (lingerStatus), not inside the install result');
  assert.deepEqual(backend.lingerStatus(), { state: 'off', detail: 'linger: off (stops at logout); to keep it running: loginctl enable-linger ana', enableCommand: 'loginctl enable-linger ana' });
  const status = await backend.status('work');
  assert.deepEqual({ installed: status.installed, enabled: status.enabled, state: status.state }, { installed: true, enabled: true, state: 'running' });
  assert.equal(await backend.isInstalled('work'), true);
  assert.equal(await backend.isEnabled('work'), true);
});

test('installing twice changes nothing: no rewrite, no restart', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  await backend.install(spec, BOTH);
  const mtime = statSync(file).mtimeMs;
  fake.calls.length = 0;
  const again = await backend.install(spec, BOTH);
  assert.ok(again.ok, again.detail);
  assert.match(again.detail, /unit unchanged.*already running/);
  assert.equal(statSync(file).mtimeMs, mtime);
  assert.ok(!fake.verbs().some((v) => v.startsWith('restart')));
});

test('a hand edit or a changed setting is drift: rewritten, reloaded and restarted', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  await backend.install(spec, BOTH);
  writeFileSync(file, readFileSync(file, 'utf8').replace('Restart=always', 'Restart=no'));
  fake.calls.length = 0;
  const repaired = await backend.install(spec, BOTH);
  assert.ok(repaired.ok, repaired.detail);
  assert.match(repaired.detail, /had drifted.*restarted with the new definition/);
  assert.equal(readFileSync(file, 'utf8'), backend.render(spec)[0]?.content);
  assert.ok(fake.verbs().includes('restart gatehouse-work.service'));
  const longer = await backend.install({ ...spec, drainTimeoutMs: 120_000 }, BOTH);
  assert.match(longer.detail, /had drifted/);
  assert.match(readFileSync(file, 'utf8'), /TimeoutStopSec=135/);
});

test('--no-start and --no-login are separate', async (t) => {
  const { backend, spec } = setup(t);
  assert.ok((await backend.install(spec, { start: false, login: true })).ok);
  let status = await backend.status('work');
  assert.deepEqual([status.enabled, status.state], [true, 'stopped']);
  assert.ok((await backend.install(spec, { start: true, login: false })).ok);
  status = await backend.status('work');
  assert.deepEqual([status.enabled, status.state], [false, 'running']);
});

test('uninstall stops, disables and removes every trace; twice is fine', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  await backend.install(spec, BOTH);
  const result = await backend.uninstall('work');
  assert.ok(result.ok, result.detail);
  assert.equal(existsSync(file), false);
  for (const definition of backend.render(spec)) assert.equal(existsSync(definition.path), false, `${definition.path} is left`);
  assert.equal(fake.loaded.size, 0);
  assert.equal(fake.active.size + fake.enabled.size, 0);
  assert.equal((await backend.status('work')).state, 'not-installed');
  assert.ok((await backend.uninstall('work')).ok);
});

test('a manager that hangs or fails is reported with one result shape, never as success', async (t) => {
  const { fake, backend, spec } = setup(t);
  fake.inject.set('daemon-reload', 'hang');
  const hung = await backend.install(spec, BOTH);
  assert.deepEqual([hung.ok, hung.timedOut], [false, true]);
  fake.inject.clear();
  fake.inject.set('start', 'fail');
  const failed = await backend.install(spec, BOTH);
  assert.deepEqual([failed.ok, failed.exitCode, failed.timedOut], [false, 1, false]);
  assert.match(failed.detail, /^start: exit 1/);
});

test('with the user bus unreachable, install writes nothing and says why', async (t) => {
  const { fake, backend, spec, file, unitDir } = setup(t);
  fake.busDown = true;
  const result = await backend.install(spec, BOTH);
  assert.equal(result.ok, false);
  assert.match(result.detail, /cannot reach the systemd user manager: exit 1: Failed to connect to bus.*XDG_RUNTIME_DIR=.*nothing was written/);
  assert.equal(existsSync(file), false, 'no unit file that no manager loaded');
  assert.equal(existsSync(unitDir), false, 'not even its directory');
  assert.deepEqual(fake.verbs(), ['show'], 'it asked the manager before anything else');
});

test('a manager that refuses the new unit gets the old file back (or none)', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  fake.inject.set('daemon-reload', 'fail');
  const fresh = await backend.install(spec, BOTH);
  assert.equal(fresh.ok, false);
  assert.match(fresh.detail, /^daemon-reload: exit 1.*removed .*gatehouse-work\.service again/);
  assert.equal(existsSync(file), false);
  fake.inject.clear();
  assert.ok((await backend.install(spec, BOTH)).ok);
  const installed = readFileSync(file, 'utf8');
  fake.inject.set('enable', 'fail');
  const drifted = await backend.install({ ...spec, drainTimeoutMs: 120_000 }, BOTH);
  assert.equal(drifted.ok, false);
  assert.match(drifted.detail, /restored the previous/);
  assert.equal(readFileSync(file, 'utf8'), installed, 'the unit the manager runs is still the one on disk');
});

test('linger is reported on, off, or as not checkable', async (t) => {
  const { root, unitDir, fake } = setup(t);
  writeFileSync(join(root, 'linger', 'ana'), '');
  assert.match(createSystemdUserBackend({ unitDir, run: fake.run, lingerDir: join(root, 'linger'), user: 'ana' }).linger(), /linger: on/);
  assert.match(createSystemdUserBackend({ unitDir, run: fake.run, lingerDir: join(root, 'nope'), user: 'ana' }).linger(), /cannot check/);
  assert.equal(createSystemdUserBackend({ unitDir, run: fake.run, lingerDir: join(root, 'nope'), user: 'ana' }).lingerStatus().state, 'unknown');
});
