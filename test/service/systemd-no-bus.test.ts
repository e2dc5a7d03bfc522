// `gatehouse install` with the systemd user bus unreachable (no XDG_RUNTIME_DIR, no
// DBUS_SESSION_BUS_ADDRESS: sudo, su, a bare ssh command), run against the real `systemctl`: it
// fails with an error that names the bus and says nothing was written; no unit file appears, and a
// gateway started by hand is left running (it is not handed over to a manager that is not there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestHome, healthz } from '../e2e/harness.js';

const noSystemctl = process.platform !== 'linux' ? 'systemd user units exist on Linux only'
  : spawnSync('systemctl', ['--version']).status !== 0 ? 'systemctl is not installed' : false;

test('install with the user bus unreachable writes no unit, stops nothing, and says why', { skip: noSystemctl }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const pid = await home.start();
  const env = home.env({ XDG_RUNTIME_DIR: join(home.home, 'no-runtime-dir') });
  delete env['DBUS_SESSION_BUS_ADDRESS'];
  const installed = await home.cli(['install'], { env });
  assert.equal(installed.code, 1, `${installed.stdout}${installed.stderr}`);
  assert.match(installed.stderr, /systemctl --user cannot reach the systemd user manager: exit 1: Failed to connect to bus/);
  assert.match(installed.stderr, /nothing was written/);
  const unitDir = join(home.home, 'xdg-config', 'systemd', 'user');
  assert.equal(existsSync(join(unitDir, 'gatehouse.service')), false, 'no unit file');
  assert.deepEqual(existsSync(unitDir) ? readdirSync(unitDir) : [], [], 'nothing at all in the unit directory (no watchdog timer either)');
  assert.equal((await healthz(home.apiUrl())).body.pid, pid, 'the hand-started gateway still serves');
});
