// update-respawn the way updaters run it (issue 11, item 2): through `npx` (real npm exec, from a
// copy of this package), from a shell script and from a Node script (execSync: one more `sh -c`).
// The updater arms the respawn, stops the gateway, replaces the code on disk (dist/ swapped for a
// copy, a new version in package.json, which the gateway reports) and exits, or is SIGKILLed with
// its whole process group. Exactly one new monitor must come back, running the new code, after the
// updater is gone; never two at a time, and not zero once the updater is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ancestorsOf, findGatewayMonitors } from '../../src/platform/discovery.js';
import { platform } from '../../src/platform/index.js';
import { readPidFile } from '../../src/runtime/pid-file.js';
import { TestHome, collect, eventually, healthz, isAlive } from './harness.js';

/** dist/test/e2e -> the checkout. */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const OLD_VERSION = '0.1.0-before-update';
const NEW_VERSION = '0.1.1-after-update';
const SAMPLE_MS = 100;
const RESPAWN_WAIT_MS = 90_000;

const skip = process.platform !== 'linux' ? 'monitors are sampled through /proc: Linux only'
  : spawnSync('npx', ['--version'], { encoding: 'utf8' }).status !== 0 ? 'npx is not installed' : false;

/** A copy of this package as an install would have it: bin/, dist/src, package.json; node_modules linked. */
function installedCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pkg-'));
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist', 'src'), join(dir, 'dist', 'src'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  // Installed packages have nothing to build: no scripts (npm exec would run `prepare`).
  delete pkg['scripts'];
  delete pkg['devDependencies'];
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ ...pkg, version: OLD_VERSION }, null, 2)}\n`);
  writeFileSync(join(dir, '.npmrc'), 'loglevel=error\nupdate-notifier=false\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** What every updater does after arming: stop the gateway, then swap in the new code. */
const UPDATE_SH = `"$NODE" bin/gatehouse.js stop
echo STOPPED
sleep 2
cp -R dist dist.next && rm -rf dist && mv dist.next dist
sed 's/"version": "${OLD_VERSION}"/"version": "${NEW_VERSION}"/' package.json > package.json.next && mv package.json.next package.json
echo UPDATED`;

/**
 * The updater's environment: a user's PATH (without the node_modules/.bin dirs npm put in front for
 * the test run) and none of npm's npm_* variables; a fresh npm cache, offline, and no scripts.
 */
function updaterEnv(home: TestHome, pkg: string): NodeJS.ProcessEnv {
  const env = home.env({ NODE: process.execPath, PKG: pkg });
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
  env['PATH'] = (env['PATH'] ?? '').split(delimiter).filter((dir) => !dir.includes('node_modules')).join(delimiter);
  return { ...env, npm_config_cache: mkdtempSync(join(tmpdir(), 'gatehouse-npm-cache-')), npm_config_offline: 'true', npm_config_ignore_scripts: 'true' };
}

interface Watch { readonly seen: Set<number>; maxAtOnce: number; stop(): Promise<void> }

/** Every monitor of this profile and home, sampled until stopped: how many at once, and which. */
function watchMonitors(home: TestHome, entry: string): Watch {
  const watch = { seen: new Set<number>(), maxAtOnce: 0, stop: async () => {} };
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = platform.processRows()?.rows ?? [];
      const monitors = findGatewayMonitors(rows, { entryScript: entry, profile: 'default', home: home.home, defaultHome: '/nonexistent', caseInsensitive: false, exclude: ancestorsOf(process.pid, rows) });
      for (const m of monitors) watch.seen.add(m.pid);
      watch.maxAtOnce = Math.max(watch.maxAtOnce, monitors.length);
      await sleep(SAMPLE_MS);
    }
  })();
  watch.stop = async () => { running = false; await loop; };
  return watch;
}

async function runUpdater(t: { after(fn: () => unknown): void }, variant: 'sh' | 'node-killed-with-group'): Promise<void> {
  const home = new TestHome();
  const pkg = installedCopy();
  t.after(async () => { await home.cleanup(); rmSync(pkg, { recursive: true, force: true }); });
  home.writeConfig({});
  const gatehouse = (args: string[]) => collect(spawn(process.execPath, [join(pkg, 'bin', 'gatehouse.js'), ...args], { env: home.env(), stdio: ['ignore', 'pipe', 'pipe'] }), 60_000);
  const started = await gatehouse(['start']);
  assert.equal(started.code, 0, started.stderr);
  const old = Number(/pid (\d+)/.exec(started.stdout)?.[1]);
  assert.equal((readPidFile(home.paths().pidFile) as { value: { version: string } }).value.version, OLD_VERSION);
  const watch = watchMonitors(home, join(pkg, 'dist', 'src', 'cli', 'main.js'));
  t.after(() => watch.stop());

  let updater: ChildProcess;
  const env = updaterEnv(home, pkg);
  t.after(() => rmSync(env['npm_config_cache'] as string, { recursive: true, force: true }));
  if (variant === 'sh') {
    writeFileSync(join(pkg, 'update.sh'), `set -e\ncd "$PKG"\nnpx gatehouse update-respawn\necho ARMED\n${UPDATE_SH}\n`);
    updater = spawn('/bin/sh', [join(pkg, 'update.sh')], { env, cwd: pkg, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    // A Node updater: execSync adds a `sh -c` above npx; it lingers after the update until its group is killed.
    writeFileSync(join(pkg, 'update.mjs'), [
      "import { execSync } from 'node:child_process';",
      "execSync('npx gatehouse update-respawn', { stdio: 'inherit' });",
      "console.log('ARMED');",
      `execSync(${JSON.stringify(UPDATE_SH)}, { stdio: 'inherit', shell: '/bin/sh' });`,
      'setInterval(() => {}, 60_000);',
    ].join('\n'));
    updater = spawn(process.execPath, [join(pkg, 'update.mjs')], { env, cwd: pkg, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  t.after(() => { try { process.kill(-updater.pid!, 'SIGKILL'); } catch { /* gone */ } });
  let out = '';
  updater.stdout?.setEncoding('utf8').on('data', (c: string) => { out += c; });
  updater.stderr?.setEncoding('utf8').on('data', (c: string) => { out += c; });
  const exited = new Promise<void>((done) => updater.on('close', () => done()));
  await eventually(`the updater to arm the respawn and stop the gateway (${out})`, () => out.includes('STOPPED'), 60_000);
  assert.match(out, new RegExp(`default: respawn armed for pid ${old} \\(watcher pid \\d+, after pid ${updater.pid} exits`), 'it waits for the updater itself, past npx');
  await eventually(`the update (${out})`, () => out.includes('UPDATED'), 60_000);
  if (variant === 'node-killed-with-group') process.kill(-updater.pid!, 'SIGKILL');
  await exited;
  assert.ok(!isAlive(old));

  const next = await eventually('a monitor to answer after the updater is gone', async () => {
    const h = await healthz(home.apiUrl()).catch(() => null);
    return h !== null && h.body.pid !== old ? Number(h.body.pid) : null;
  }, RESPAWN_WAIT_MS);
  await eventually('the watcher to record the respawn', () => home.lifecycle().some((e) => e.event === 'respawn'), 30_000);
  await sleep(1_500); // long enough to see a second monitor start, were one started
  await watch.stop();
  const record = readPidFile(home.paths().pidFile);
  assert.ok(record.kind === 'ok' && record.value.pid === next, 'the PID file names the new monitor');
  assert.equal(record.value.version, NEW_VERSION, 'the new monitor runs the code now on disk');
  const starts = home.lifecycle().filter((e) => e.event === 'start');
  assert.deepEqual(starts.map((e) => [e.pid, e.version]), [[old, OLD_VERSION], [next, NEW_VERSION]], 'exactly one new monitor');
  assert.equal(home.lifecycle().filter((e) => e.event === 'respawn' && e.ok === true).length, 1);
  assert.equal(watch.maxAtOnce, 1, 'never two monitors at a time');
  assert.deepEqual([...watch.seen], [old, next], 'no monitor but the old one and the new one');
}

test('an updater script runs `npx gatehouse update-respawn`, stops the gateway, replaces the code and exits: one new monitor, new code', { skip, timeout: 180_000 }, (t) => runUpdater(t, 'sh'));

test('a Node updater (execSync npx) killed with its process group after the update: one new monitor, new code', { skip, timeout: 180_000 }, (t) => runUpdater(t, 'node-killed-with-group'));
