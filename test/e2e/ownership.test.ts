// What another local user prepared is never trusted: a home or profile directory they own is
// refused (with their planted token), a token file of theirs is refused, a stop marker they wrote is
// ignored; our own directories that others could write are made private. Run as root, with `nobody`
// as the other user (files chowned to it); skipped with the reason elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestHome, eventually, isAlive } from './harness.js';
import { profilePaths } from '../../src/paths.js';
import { platform } from '../../src/platform/index.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const asRootSkip = process.platform === 'win32' ? 'POSIX owners' : !isRoot ? 'needs root to make files owned by another user' : false;
const PLANTED = 'planted-by-nobody-0123456789abcdef';

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

test('a home prepared by another user, with a planted token, is refused by start, run, status and send', { skip: asRootSkip }, async (t) => {
  const base = new TestHome();
  t.after(() => base.cleanup());
  const home = join(base.home, 'theirs');
  const paths = profilePaths('default', { GATEHOUSE_HOME: home });
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.token, `${PLANTED}\n`, { mode: 0o600 });
  for (const path of [home, join(home, 'profiles'), paths.dir, paths.token]) chownSync(path, NOBODY, NOBODY);
  const env = { GATEHOUSE_HOME: home };

  for (const command of [['start'], ['run']]) {
    const result = await base.cli(command, { env });
    assert.equal(result.code, 1, `${command[0]}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, new RegExp(`refusing ${home}.* belongs to uid ${NOBODY}, not to this user \\(uid 0\\)`), result.stderr);
    assert.match(result.stderr, /would be trusted/);
  }
  assert.equal(existsSync(paths.pidFile), false, 'no gateway ran there');
  assert.equal(readFileSync(paths.token, 'utf8'), `${PLANTED}\n`, 'their file is left alone');

  // The CLI never uses their token to talk to anything.
  for (const command of [['status'], ['send', 'chat', 'private words']]) {
    const result = await base.cli(command, { env });
    assert.equal(result.code, 1, `${command[0]}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, new RegExp(`refusing the API token: ${paths.token} belongs to uid ${NOBODY}`));
  }
});

test('a token file of another user inside our own profile is refused, not used', { skip: asRootSkip }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  writeFileSync(home.paths().token, `${PLANTED}\n`, { mode: 0o600 });
  chownSync(home.paths().token, NOBODY, NOBODY);
  const result = await home.cli(['start']);
  assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
  assert.match(result.stderr, new RegExp(`refusing the API token: ${home.paths().token} belongs to uid ${NOBODY}`));
  assert.equal((await home.cli(['status'])).code, 1);
});

test('our own home and profile directories that others could write are made private', { skip: process.platform === 'win32' ? 'POSIX modes' : false }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  chmodSync(home.home, 0o777);
  chmodSync(join(home.home, 'profiles'), 0o777);
  chmodSync(home.paths().dir, 0o777);
  await home.start();
  assert.equal(mode(home.home), '755', 'the home loses group and world write');
  assert.equal(mode(join(home.home, 'profiles')), '755');
  assert.equal(mode(home.paths().dir), '700', 'the profile directory is private');
  assert.equal(mode(home.paths().token), '600');
});

test('a planned-stop marker written by another user does not stop the gateway', { skip: asRootSkip }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const monitor = await home.start();
  const startTime = platform.processStartTime(monitor)!;
  // A marker that names the gateway exactly, owned by nobody before it appears under its name.
  const draft = join(home.paths().dir, 'marker.draft');
  writeFileSync(draft, JSON.stringify({ targetPid: monitor, targetStartTime: startTime, stopperPid: 1, writtenAt: new Date().toISOString(), reason: 'planted' }));
  chownSync(draft, NOBODY, NOBODY);
  renameSync(draft, home.paths().plannedStop);
  await eventually('the gateway to remove the untrusted marker', () => !existsSync(home.paths().plannedStop), 10_000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.ok(isAlive(monitor), 'still running');
  const status = await home.cli(['status', '--json']);
  assert.equal(status.code, 0, status.stdout);
  assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'running');
  assert.match(readFileSync(home.paths().gatewayLog, 'utf8'), /removed a planned-stop marker that was not for this gateway.*untrusted|untrusted.*removed a planned-stop marker/);
});
