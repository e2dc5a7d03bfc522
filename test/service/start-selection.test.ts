// `start` when choosing the service manager fails: the error is said as what it is (a warning on a
// start that spawns), never turned into "no service installed". A real gateway is started; only the
// service host is a Windows one whose schtasks cannot be run (its binary missing), with the profile's
// Windows autostart files present, so that the start must ask the Task Scheduler.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startThroughManager } from '../../src/control/start-managed.js';
import { startGateway } from '../../src/control/start.js';
import type { Selection, ServiceHost } from '../../src/service/select.js';
import { LAUNCHER_FILE } from '../../src/service/windows-launcher.js';
import { TestHome } from '../e2e/harness.js';

test('a service selection that fails is reported as that failure, and start still starts the gateway', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const paths = home.paths();
  writeFileSync(join(paths.dir, LAUNCHER_FILE), '// a launcher a Windows install left\n');
  const host: ServiceHost = {
    platform: 'win32', env: home.env(), userHome: home.home, user: 'ana', uid: -1,
    run: () => { throw Object.assign(new Error('spawn schtasks.exe ENOENT'), { code: 'ENOENT' }); },
  };
  const started = await startGateway(paths, 30_000, { host });
  assert.equal(started.ok, true, `${started.message} ${started.details.join(' ')}`);
  assert.equal(started.via, undefined, 'spawned');
  assert.match(started.note ?? '', /^started without the service manager: could not tell whether an autostart service is installed: .*schtasks\.exe ENOENT/);
});

test('the selection itself failing, and a platform without autostart, are told apart', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const paths = home.paths();
  const broken = await startThroughManager(paths, 1_000, () => Promise.reject(new Error('cannot load the backend')));
  assert.deepEqual(broken, { kind: 'spawn', note: 'could not tell whether an autostart service is installed: cannot load the backend' });
  const none: Selection = { ok: false, reason: 'autostart is not available on aix' };
  assert.deepEqual(await startThroughManager(paths, 1_000, async () => none), { kind: 'spawn', note: null }, 'nothing to go through: no warning on every start');
});
