// Bad situations get a clear error, naming the path and the cause: a token file replaced while the
// gateway runs, an empty token, a token path that is a directory, a home that is a file or on a
// read-only file system.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestHome, eventually, isAlive } from './harness.js';

const RAW_ERRNO = /\b(EISDIR|ENOTDIR|ENOENT|EEXIST|EROFS)\b/;
const isRoot = process.getuid?.() === 0;

test('the token file replaced while the gateway runs: send says the token does not match, stop still stops it', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const monitor = await home.start();
  writeFileSync(home.paths().token, 'a-new-token-the-gateway-never-saw-0123\n', { mode: 0o600 });

  const send = await home.cli(['send', 'chat', 'hello']);
  assert.equal(send.code, 1, `${send.stdout}${send.stderr}`);
  assert.match(send.stderr, new RegExp(`the token in ${home.paths().token} does not match the running gateway's \\(pid ${monitor}\\)`));
  assert.doesNotMatch(send.stderr, /not running/);

  const status = await home.cli(['status', '--deep', '--json']);
  const json = JSON.parse(status.stdout) as { running: boolean; pid: number; reason: string; probes: Array<{ id: string; ok: boolean; detail: string }> };
  assert.deepEqual([json.running, json.pid], [true, monitor]);
  assert.match(json.reason, /does not match the running gateway's/);
  assert.equal(json.probes.find((p) => p.id === 'control')?.ok, false);

  const stop = await home.cli(['stop', '--timeout', '2']);
  assert.equal(stop.code, 0, `${stop.stdout}${stop.stderr}`);
  await eventually('the gateway to be gone', () => !isAlive(monitor), 15_000);
});

test('an empty or garbage token file is replaced, and the log and status --deep say so', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  for (const [what, content] of [['empty', ''], ['garbage', 'not a token!\n']] as const) {
    writeFileSync(home.paths().token, content, { mode: 0o600 });
    await home.start();
    assert.match(home.token(), /^[A-Za-z0-9_-]{43}$/);
    const log = readFileSync(home.paths().gatewayLog, 'utf8');
    assert.match(log, new RegExp(`the token file ${home.paths().token} (was empty|held no valid token): replaced it`), `${what}: said in the log`);
    const status = await home.cli(['status', '--deep', '--json']);
    const probe = (JSON.parse(status.stdout) as { probes: Array<{ id: string; ok: boolean; detail: string }> }).probes.find((p) => p.id === 'token');
    assert.equal(probe?.ok, false, `${what}: ${status.stdout}`);
    assert.match(probe?.detail ?? '', /replaced: clients holding the old token get 401/);
    assert.equal((await home.cli(['send', 'chat', 'hi', '--wait'])).stdout.trim(), 'echo: hi', 'the new token works');
    assert.equal((await home.cli(['stop'])).code, 0);
  }
});

test('a token path that is a directory: start and status name it, no raw EISDIR', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  mkdirSync(home.paths().token);
  for (const command of [['start'], ['status']]) {
    const result = await home.cli(command);
    assert.equal(result.code, 1, `${command[0]}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, new RegExp(`${home.paths().token} is a directory, not a file`), result.stderr);
    assert.doesNotMatch(result.stderr, RAW_ERRNO);
  }
});

test('a home that is a file, or under a file: a clear error with the path, no raw ENOTDIR', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-homefile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory');
  const home = new TestHome();
  t.after(() => home.cleanup());
  for (const [gatehouseHome, cause] of [[file, `${file} is a file, not a directory`], [join(file, 'home'), `${file} is a file, not a directory`]] as const) {
    for (const command of [['start'], ['run']]) {
      const result = await home.cli(command, { env: { GATEHOUSE_HOME: gatehouseHome } });
      assert.equal(result.code, 1, result.stderr);
      assert.ok(result.stderr.includes(cause), `${gatehouseHome} ${command[0]}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, RAW_ERRNO);
    }
  }
});

/** Mount a small tmpfs (root only); null with the reason when this machine cannot. */
function mountTmpfs(dir: string, options: string): string | null {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  return mounted.status === 0 ? null : `cannot mount a tmpfs here: ${mounted.stderr.trim()}`;
}

test('a home on a read-only file system: a clear error with the path and the cause', { skip: process.platform !== 'linux' ? 'Linux mounts' : !isRoot ? 'needs root to mount a read-only file system' : false }, async (t) => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'gatehouse-ro-'));
  const cannot = mountTmpfs(mountPoint, 'size=1m,mode=0700');
  t.after(() => {
    if (cannot === null && spawnSync('umount', [mountPoint]).status !== 0) spawnSync('umount', ['-l', mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });
  if (cannot !== null) return t.skip(cannot);
  mkdirSync(join(mountPoint, 'home', 'profiles', 'default'), { recursive: true, mode: 0o700 });
  assert.equal(spawnSync('mount', ['-o', 'remount,ro', mountPoint]).status, 0);
  const home = new TestHome();
  t.after(() => home.cleanup());
  for (const gatehouseHome of [join(mountPoint, 'home'), join(mountPoint, 'absent-home')]) {
    for (const command of [['start'], ['run']]) {
      const result = await home.cli(command, { env: { GATEHOUSE_HOME: gatehouseHome } });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`${mountPoint}.* is on a read-only file system`), `${gatehouseHome} ${command[0]}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, RAW_ERRNO);
    }
  }
});
