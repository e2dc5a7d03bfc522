// Bad input gets a clear error and loses nothing: broken config, a taken port, an unusable home,
// malformed API requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestHome, eventually, isAlive, workerPid } from './harness.js';

const BROKEN_CONFIGS: Array<[string, string, RegExp]> = [
  ['wrong type', '{"api": {"port": "abc"}}', /api\.port/],
  ['unknown key', '{"agent": {"kind": "echo", "delay": 5}}', /agent/],
  ['not JSON', '{"api": ', /not valid JSON/],
  ['empty', '', /empty/],
  ['remote host', '{"api": {"host": "0.0.0.0"}}', /api\.host.*loopback/],
];

for (const [name, text, field] of BROKEN_CONFIGS) {
  test(`start with a broken config (${name}) exits 78 and names the file and the field`, async (t) => {
    const home = new TestHome();
    t.after(() => home.cleanup());
    home.writeRawConfig(text);
    const result = await home.cli(['start']);
    assert.equal(result.code, 78, result.stdout + result.stderr);
    assert.ok(result.stderr.includes(home.paths().config), result.stderr);
    assert.match(result.stderr, field);
    assert.equal((await home.cli(['status'])).code, 3);
  });
}

test('a worker that finds a broken config exits 78; the monitor does not respawn it and says why', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const monitor = await home.start();
  const worker = workerPid(home);
  home.writeRawConfig('{"agent": {"kind": "nope"}}');
  process.kill(worker, 'SIGKILL'); // the respawned worker reads the new config
  await eventually('the monitor to give up', () => !isAlive(monitor), 20_000);
  // The standby read the old config.json: it does not take over, and its end is not a worker's.
  const exits = home.lifecycle().filter((e) => e.event === 'worker_exit' && e.standby !== true);
  assert.equal(exits.at(-1)?.code, 78);
  assert.equal(exits.length, 2, 'exactly one respawn (after the SIGKILL), none after exit 78');
  assert.equal(home.lifecycle().some((e) => e.event === 'standby_promoted'), false);
  assert.equal(home.lifecycle().at(-1)?.code, 78);
  const status = await home.cli(['status', '--json']);
  assert.equal(status.code, 3);
  assert.match((JSON.parse(status.stdout) as { reason: string }).reason, /fatal configuration/);
});

test('a port already in use: start fails with a clear error naming the holder', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  home.writeConfig({ api: { port } });
  const result = await home.cli(['start']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port}.*in use by pid ${process.pid}`));
  assert.equal((await home.cli(['status'])).code, 3);
});

test('an unusable GATEHOUSE_HOME gets a clear error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nothome-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory');
  const home = new TestHome();
  t.after(() => home.cleanup());
  for (const command of [['start'], ['run']]) {
    const result = await home.cli(command, { env: { GATEHOUSE_HOME: join(file, 'home') } });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /cannot use .*a-file\/home.* as the profile directory/);
    assert.match(result.stderr, /GATEHOUSE_HOME/);
  }
});

test('an invalid profile name is a usage error', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const result = await home.cli(['status', '--profile', '../etc']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /invalid profile name/);
});

test('the API answers malformed requests with 4xx JSON errors and demands the token', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  const url = home.apiUrl();
  const auth = { authorization: `Bearer ${home.token()}` };
  const call = async (path: string, init: RequestInit = {}): Promise<[number, { error?: { code: string } }]> => {
    const response = await fetch(`${url}${path}`, init);
    return [response.status, (await response.json()) as { error?: { code: string } }];
  };
  assert.deepEqual((await call('/v1/sessions/x'))[0], 401);
  assert.deepEqual((await call('/v1/sessions/x', { headers: { authorization: 'Bearer wrong' } }))[0], 401);
  const post = (body: string): RequestInit => ({ method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
  assert.deepEqual((await call('/v1/sessions/x/messages', post('{bad')))[1].error?.code, 'bad_json');
  assert.deepEqual((await call('/v1/sessions/x/messages', post('{"text": 5}')))[0], 400);
  assert.deepEqual((await call('/v1/sessions/x/messages', post('{"text": ""}')))[0], 400);
  assert.deepEqual((await call('/v1/sessions/bad%20id/messages', post('{"text": "hi"}')))[1].error?.code, 'bad_session_id');
  assert.deepEqual((await call('/v1/sessions/x/messages', post(JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) }))))[0], 413);
  assert.deepEqual((await call('/v1/nothing', { headers: auth }))[0], 404);
  assert.deepEqual((await call('/v1/sessions/never-used', { headers: auth }))[0], 404);
  assert.deepEqual((await call('/v1/sessions/x/messages', { headers: auth }))[0], 405);
  // Nothing malformed reached the store, and the gateway still works.
  assert.deepEqual(home.messages(), []);
  const ok = await call('/v1/sessions/x/messages', post('{"text": "fine"}'));
  assert.equal(ok[0], 202);
});
