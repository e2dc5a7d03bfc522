// `npx gatehouse` from a checkout prints nothing but the command's own output, also when the
// machine's own Node (the one that runs npm) is older than `engines`. A fresh npm cache makes npx
// install the checkout into its npx cache again, which is the step that ran npm's engine check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// The PATH a user's shell has: without the node_modules/.bin dirs npm put in front for the tests.
const SYSTEM_PATH = (process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.includes('node_modules')).join(delimiter);
const systemNpx = SYSTEM_PATH.split(delimiter).map((dir) => join(dir, 'npx')).find((path) => existsSync(path));

function systemNodeVersion(): string | null {
  const result = spawnSync('node', ['--version'], { env: { ...process.env, PATH: SYSTEM_PATH }, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

test('npx gatehouse prints only the command output with the machine Node on PATH', { skip: systemNpx === undefined ? 'no npx on the system PATH' : false }, (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'gatehouse-npm-cache-'));
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-npx-home-'));
  t.after(() => { rmSync(cache, { recursive: true, force: true }); rmSync(home, { recursive: true, force: true }); });
  t.diagnostic(`machine Node ${systemNodeVersion() ?? 'unknown'}, npx ${systemNpx}`);
  // ignore-scripts: linking the checkout into the npx cache would run its `prepare` (tsc), rewriting
  // dist/ under the other tests of the suite; what is tested here is npm's own output.
  const npmSettings = { npm_config_cache: cache, npm_config_offline: 'true', npm_config_ignore_scripts: 'true' };
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: SYSTEM_PATH, GATEHOUSE_HOME: home };
  // Strip what npm passed to the test run (npm_config_loglevel=..., npm_lifecycle_*): a user's shell has none of it.
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
  Object.assign(env, npmSettings);
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
  for (const round of ['first (installs into the npx cache)', 'second']) {
    const run = spawnSync(systemNpx!, ['gatehouse', '--version'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, `${round}: ${run.stderr}`);
    assert.equal(run.stdout, `${version}\n`, round);
    assert.equal(run.stderr, '', `${round}: nothing on stderr`);
  }
  const status = spawnSync(systemNpx!, ['gatehouse', 'status'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(status.status, 3, status.stderr);
  assert.match(status.stdout, /stopped/);
  assert.equal(status.stderr, '');
});
