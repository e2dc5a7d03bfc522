// Always comes back: crash respawn with backoff and a breaker, zero-downtime worker restart under
// load, restart --full through the watcher, and update-respawn surviving its caller's group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { CLI, TestHome, eventually, healthz, isAlive, workerPid, workerCrashes } from './harness.js';

interface LoadResult { ok: number; failed: string[] }

/** Keep-alive GETs and POSTs from this process until stopped; every failure is recorded. */
function loadUntil(url: string, token: string, stop: { done: boolean }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const result: LoadResult = { ok: 0, failed: [] };
  const one = (method: 'GET' | 'POST', path: string, body?: string): Promise<void> => new Promise((resolve) => {
    const req = request(`${url}${path}`, { method, agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => {
        if ((res.statusCode ?? 0) < 300) result.ok += 1;
        else result.failed.push(`${method} ${path}: HTTP ${res.statusCode}`);
        resolve();
      });
    });
    req.on('error', (error) => { result.failed.push(`${method} ${path}: ${error.message}`); resolve(); });
    req.end(body);
  });
  const worker = async (n: number): Promise<void> => {
    for (let i = 0; !stop.done && i < 100_000; i += 1) {
      await (i % 2 === 0 ? one('GET', '/healthz') : one('POST', `/v1/sessions/load-${n}/messages`, JSON.stringify({ text: `m${i}` })));
    }
  };
  return Promise.all([0, 1, 2, 3].map(worker)).then(() => { agent.destroy(); return result; });
}

test('gatehouse restart under continuous load: no refused connection, no failed request', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'echo', delayMs: 20 } });
  const pid = await home.start();
  const stop = { done: false };
  const load = loadUntil(home.apiUrl(), home.token(), stop);
  const workers = new Set<number>([workerPid(home)]);
  for (let i = 0; i < 3; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const restart = await home.cli(['restart']);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stdout, /worker replaced/);
    workers.add(workerPid(home));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  stop.done = true;
  const result = await load;
  assert.deepEqual(result.failed, [], `${result.failed.length} failed of ${result.ok + result.failed.length}`);
  assert.ok(result.ok > 50, `the load ran (${result.ok} answers)`);
  assert.equal(workers.size, 4, 'three restarts, four workers');
  assert.ok(isAlive(pid), 'the monitor never restarted');
  // Every accepted message is answered exactly once, across the handovers.
  await eventually('all messages answered', () => home.messages().filter((m) => m.role === 'user' && m.status !== 'done').length === 0, 30_000);
  const users = home.messages().filter((m) => m.role === 'user');
  const replies = home.messages().filter((m) => m.role === 'assistant');
  assert.equal(replies.length, users.length);
  assert.equal(new Set(replies.map((r) => r.reply_to)).size, users.length);
});

test('a restart whose new worker cannot start keeps the old worker serving', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  const before = workerPid(home);
  home.writeRawConfig('{"agent": {"kind": "command"}}');
  const restart = await home.cli(['restart']);
  assert.equal(restart.code, 1);
  assert.match(restart.stderr, /exit 78/);
  assert.equal(workerPid(home), before);
  assert.equal((await healthz(home.apiUrl())).status, 200);
});

test('a crashing worker is respawned, and status --deep shows the count, the last crash and the breaker', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const monitor = await home.start();
  // Five crashes inside the breaker window: respawns at once, then after growing delays, then the breaker.
  for (let crash = 1; crash <= 5; crash += 1) {
    const worker = await eventually(`worker ${crash}`, () => { try { const w = workerPid(home); return isAlive(w) ? w : null; } catch { return null; } });
    process.kill(worker, 'SIGKILL');
    await eventually(`crash ${crash} recorded`, () => workerCrashes(home) === crash);
  }
  await eventually('the breaker to open', () => home.lifecycle().some((e) => e.event === 'breaker_open'));
  assert.ok(isAlive(monitor), 'the monitor holds on while the breaker is open');
  const deep = await home.cli(['status', '--deep', '--json']);
  const status = JSON.parse(deep.stdout) as { restarts: number; probes: Array<{ id: string; ok: boolean; detail: string }> };
  const restartsProbe = status.probes.find((p) => p.id === 'restarts');
  assert.ok(restartsProbe !== undefined, JSON.stringify(status.probes));
  assert.equal(restartsProbe.ok, false);
  assert.match(restartsProbe.detail, /4 restarts/);
  assert.match(restartsProbe.detail, /SIGKILL/);
  assert.match(restartsProbe.detail, /breaker open until/);
  // No worker for minutes: the monitor itself answers 503 with when it tries again, at once.
  const unavailable = await healthz(home.apiUrl());
  assert.equal(unavailable.status, 503);
  assert.equal((unavailable.body.error as { code: string }).code, 'crash_loop');
  const plain = await home.cli(['status', '--json']);
  assert.match((JSON.parse(plain.stdout) as { reason: string }).reason, /keeps crashing.*breaker/);
});

test('restart --full replaces the monitor through a watcher, once', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const old = await home.start();
  const restart = await home.cli(['restart', '--full']);
  assert.equal(restart.code, 0, restart.stderr);
  const newPid = Number(/-> (\d+)/.exec(restart.stdout)?.[1]);
  assert.notEqual(newPid, old);
  assert.ok(!isAlive(old));
  assert.equal((await healthz(home.apiUrl())).body.pid, newPid);
  const starts = home.lifecycle().filter((e) => e.event === 'start');
  assert.equal(starts.length, 2);
  await eventually('the watcher to record the respawn', () => home.lifecycle().some((e) => e.event === 'respawn'));
  assert.equal(home.lifecycle().filter((e) => e.event === 'respawn' && e.ok === true).length, 1);
});

test('update-respawn survives its caller group being SIGKILLed; every profile comes back exactly once', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({}, 'a');
  home.writeConfig({}, 'b');
  const oldA = await home.start('a');
  const oldB = await home.start('b');
  // The updater: a shell in its own group arms the respawn for itself, then works on.
  const updater = spawn('/bin/sh', ['-c', `"${process.execPath}" "${CLI}" update-respawn --caller-pid $$ && echo ARMED && sleep 600`], {
    env: home.env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  updater.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
  await eventually('the respawn to be armed', () => out.includes('ARMED'), 30_000);
  assert.match(out, /a: respawn armed/);
  assert.match(out, /b: respawn armed/);
  // The updater stops gateway a itself (b it leaves running), then dies with its whole group.
  assert.equal((await home.cli(['stop', '--profile', 'a'])).code, 0);
  process.kill(-updater.pid!, 'SIGKILL');
  for (const [profile, old] of [['a', oldA], ['b', oldB]] as const) {
    const pid = await eventually(`profile ${profile} to answer again`, async () => {
      const h = await healthz(home.apiUrl(profile)).catch(() => null);
      return h !== null && h.body.pid !== old ? h.body.pid : null;
    }, 60_000);
    assert.ok(!isAlive(old));
    assert.equal(home.lifecycle(profile).filter((e) => e.event === 'start').length, 2, `profile ${profile} started exactly once more`);
    await eventually('the watcher to record the respawn', () => home.lifecycle(profile).some((e) => e.event === 'respawn'));
    assert.equal(home.lifecycle(profile).filter((e) => e.event === 'respawn' && e.ok === true).length, 1);
    assert.equal(typeof pid, 'number');
  }
});

test('connections in flight to a worker that is SIGKILLed are served by the next one, never left hanging', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  const url = home.apiUrl();
  const worker = workerPid(home);
  const HANG_MS = 15_000;
  // Fresh connections (no keep-alive), fired in bursts, with the kill in the middle of them.
  const one = (): Promise<string> => new Promise((resolve) => {
    const req = request(`${url}/healthz`, { agent: false, timeout: HANG_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    });
    req.on('timeout', () => { req.destroy(); resolve('hang'); });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
  const outcomes: Array<Promise<string>> = [];
  for (let i = 0; i < 60; i += 1) {
    if (i === 20) process.kill(worker, 'SIGKILL');
    outcomes.push(one());
    if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const results = await Promise.all(outcomes);
  assert.equal(results.filter((r) => r === 'hang').length, 0, results.join(','));
  assert.ok(results.filter((r) => r === '200').length >= 50, results.join(','));
});
