// The macOS watchdog LaunchAgent against the stateful launchctl fake: what is written, that install
// and uninstall add and remove it with the gateway's agent, that --no-login keeps it from login
// too, and that the check it runs (run for real when the fake's StartInterval fires) raises
// gateway_down once for a killed gateway and resolves it when the gateway is back.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createLaunchdBackend } from '../../src/service/launchd.js';
import { launchdLabel } from '../../src/service/launchd-plist.js';
import { parseWatchdogAgent, watchdogLabel } from '../../src/service/launchd-watchdog.js';
import { buildServiceSpec } from '../../src/service/spec.js';
import { CLI, eventually, isAlive, TestHome } from '../e2e/harness.js';
import { WebhookReceiver } from '../e2e/webhook-receiver.js';
import { FakeLaunchctl } from './fake-launchctl.js';

const UID = 501;
const BOTH = { start: true, login: true };

function setup(t: { after: (fn: () => void) => void }, profile = 'work') {
  const root = mkdtempSync(join(tmpdir(), 'gh-launchd-wd-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const agentsDir = join(root, 'LaunchAgents');
  const fake = new FakeLaunchctl(UID);
  const backend = createLaunchdBackend({ agentsDir, uid: UID, run: fake.run, sleep: async () => {}, retryDelayMs: 0 });
  const spec = buildServiceSpec({ profile, nodePath: '/usr/local/bin/node', entryScript: '/opt/g/main.js', home: join(root, 'home'), workingDirectory: join(root, 'home', 'profiles', profile), logDir: join(root, 'Logs') });
  return { fake, backend, spec, agentsDir, file: join(agentsDir, `${watchdogLabel(profile)}.plist`) };
}

test('install adds the watchdog agent: alert --check every 30 s, its own label, nothing secret; listed by --print', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  const result = await backend.install(spec, BOTH);
  assert.ok(result.ok, result.detail);
  assert.match(result.detail, /watchdog io\.gatehouse\.watchdog\.work loaded \(alert --check every 30 s\)/);
  assert.equal(statSync(file).mode & 0o777, 0o644);
  const parsed = parseWatchdogAgent(readFileSync(file, 'utf8'));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  assert.deepEqual(parsed.watchdog, {
    profile: 'work', programArguments: ['/usr/local/bin/node', '/opt/g/main.js', 'alert', '--check', '--profile', 'work'],
    environment: { GATEHOUSE_HOME: spec.env['GATEHOUSE_HOME'] }, workingDirectory: spec.workingDirectory, intervalS: 30,
  });
  const text = readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /KeepAlive|RunAtLoad<\/key>\s*<true/, 'a timer job: never kept alive, not run at load');
  assert.ok(fake.jobs.has(watchdogLabel('work')) && fake.jobs.has(launchdLabel('work')));
  assert.deepEqual(fake.intervalJobs(), [watchdogLabel('work')], 'only the watchdog runs on an interval');
  assert.deepEqual(backend.render(spec).map((d) => d.role), ['LaunchAgent plist', 'watchdog LaunchAgent (alert --check)']);
  assert.equal(backend.render(spec)[1]?.content, text);
});

test('installing twice leaves the watchdog alone; a hand-edited one is rewritten and reloaded', async (t) => {
  const { fake, backend, spec, file } = setup(t);
  await backend.install(spec, BOTH);
  fake.calls.length = 0;
  assert.ok((await backend.install(spec, BOTH)).ok);
  assert.ok(fake.calls.every((c) => c.args[0] !== 'bootout' && c.args[0] !== 'bootstrap'), 'nothing reloaded');
  writeFileSync(file, readFileSync(file, 'utf8').replace('<integer>30</integer>', '<integer>3600</integer>'));
  fake.calls.length = 0;
  assert.ok((await backend.install(spec, BOTH)).ok);
  const repaired = parseWatchdogAgent(readFileSync(file, 'utf8'));
  assert.equal(repaired.ok ? repaired.watchdog.intervalS : null, 30);
  assert.deepEqual(fake.calls.filter((c) => c.args.some((a) => a.includes('watchdog')) && (c.args[0] === 'bootout' || c.args[0] === 'bootstrap')).map((c) => c.args[0]), ['bootout', 'bootstrap']);
});

test('--no-login disables the watchdog label too; --no-start --no-login loads nothing', async (t) => {
  const { fake, backend, spec } = setup(t);
  assert.ok((await backend.install(spec, { start: true, login: false })).ok);
  assert.equal(fake.overrides.get(watchdogLabel('work')), true, 'not at login');
  assert.ok(fake.jobs.has(watchdogLabel('work')), 'but watching now, while the gateway runs');
  const fresh = setup(t);
  assert.ok((await fresh.backend.install(fresh.spec, { start: false, login: false })).ok);
  assert.equal(fresh.fake.jobs.size, 0);
  assert.ok(existsSync(fresh.file));
});

test('uninstall boots the watchdog out and removes its plist with the gateway\'s; twice is fine', async (t) => {
  const { fake, backend, spec, file, agentsDir } = setup(t);
  await backend.install(spec, BOTH);
  const removed = await backend.uninstall('work');
  assert.ok(removed.ok, removed.detail);
  assert.equal(existsSync(file), false);
  assert.equal(existsSync(join(agentsDir, `${launchdLabel('work')}.plist`)), false);
  assert.equal(fake.jobs.size, 0);
  assert.ok((await backend.uninstall('work')).ok);
});

test('the check the watchdog agent runs: gateway_down once for a killed gateway, resolved when it is back', { timeout: 240_000 }, async (t) => {
  const home = new TestHome();
  const receiver = await new WebhookReceiver().start();
  t.after(async () => { await home.cleanup(); await receiver.stop(); });
  home.writeConfig({ alerts: { webhook: receiver.url, downAfterMs: 1_000 } });
  const { fake, backend } = setup(t, 'default');
  const spec = buildServiceSpec({ profile: 'default', nodePath: process.execPath, entryScript: CLI, home: home.home, workingDirectory: home.paths().dir, logDir: join(home.home, 'Logs') });
  assert.ok((await backend.install(spec, BOTH)).ok);
  const tick = async (): Promise<string> => {
    const run = await fake.fireInterval(watchdogLabel('default'));
    assert.equal(run.code, 0, run.stderr);
    return run.stdout.trim();
  };

  assert.match(await tick(), /^stopped: it never ran/);
  const monitor = await home.start();
  assert.match(await tick(), /^up: /);
  process.kill(-monitor, 'SIGKILL'); // the whole process group: no exit record, as launchd would not revive it
  await eventually('the gateway gone', () => !isAlive(monitor));
  assert.match(await tick(), /^down-grace: /);
  await sleep(1_200);
  assert.match(await tick(), /^down: /);
  assert.match(await tick(), /^down: /);
  assert.deepEqual(receiver.states('gateway_down'), ['firing'], 'sent once, by the check itself');
  await home.start();
  assert.match(await tick(), /^up: /);
  await eventually('gateway_down resolved', () => receiver.states('gateway_down').length === 2);
  assert.deepEqual(receiver.states('gateway_down'), ['firing', 'resolved']);
});
