// One gateway per profile, and identity: stale, reused and corrupt PID files never fool status or
// start, and no foreign process is ever signalled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { TestHome, collect, eventually, healthz, isAlive } from './harness.js';
import { platform } from '../../src/platform/index.js';

test('two concurrent starts leave exactly one gateway, and the loser names its pid', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const [a, b] = await Promise.all([home.cli(['start']), home.cli(['start'])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const pidA = Number(/pid (\d+)/.exec(a.stdout)?.[1]);
  const pidB = Number(/pid (\d+)/.exec(b.stdout)?.[1]);
  assert.equal(pidA, pidB, `${a.stdout} / ${b.stdout}`);
  assert.ok([a.stdout, b.stdout].some((out) => /already running/.test(out)), 'one of them reports the running gateway');
  const starts = home.lifecycle().filter((e) => e.event === 'start');
  assert.equal(starts.length, 1, 'only one monitor ever took the lock');
  assert.equal((await healthz(home.apiUrl())).body.pid, pidA);
});

test('run --replace drains the running gateway, then takes over', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const old = await home.start();
  const replacement = home.spawnCli(['run', '--replace']);
  await eventually('the replacement to run', () => {
    const s = home.state();
    return s.kind === 'ok' && s.value.state === 'running' && s.value.pid === replacement.pid;
  });
  assert.ok(!isAlive(old), 'the old monitor is gone');
  const events = home.lifecycle();
  assert.ok(events.some((e) => e.event === 'stop' && e.pid === old && /replace/.test(String(e.reason))));
  assert.equal((await healthz(home.apiUrl())).body.pid, replacement.pid);
  const done = collect(replacement, 30_000);
  assert.equal((await home.cli(['stop'])).code, 0);
  assert.equal((await done).code, 0, 'a planned stop of a foreground run exits 0');
});

test('a stale PID file (dead pid) reads as not running, and start succeeds', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const pid = await home.start();
  const record = readFileSync(home.paths().pidFile, 'utf8');
  process.kill(pid, 'SIGKILL'); // the worker follows (IPC disconnect)
  await eventually('the monitor to die', () => !isAlive(pid));
  writeFileSync(home.paths().pidFile, record); // as a crash leaves it
  const status = await home.cli(['status', '--deep', '--json']);
  assert.equal(status.code, 3);
  const json = JSON.parse(status.stdout) as { state: string; probes: Array<{ id: string; ok: boolean; detail: string }> };
  assert.equal(json.state, 'crashed');
  assert.match(json.probes.find((p) => p.id === 'identity')!.detail, /stale/);
  const again = await home.start();
  assert.notEqual(again, pid);
  const previous = home.lifecycle().filter((e) => e.event === 'previous_exit_unclean');
  assert.equal(previous.length, 1);
});

test('a PID file whose pid now belongs to another process: not running, start works, that process is never signalled', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const foreign = spawn('sleep', ['600'], { stdio: 'ignore' });
  t.after(() => foreign.kill('SIGKILL'));
  const foreignStart = platform.processStartTime(foreign.pid!)!;
  // A record that names the foreign pid with the start time of the process that wrote it (earlier).
  writeFileSync(home.paths().pidFile, JSON.stringify({
    kind: 'gatehouse-monitor', pid: foreign.pid, startTime: foreignStart - 60_000, instance: 'gh_old', argv: [], version: '0.0.1', profile: 'default',
  }));
  const status = await home.cli(['status', '--deep', '--json']);
  assert.equal(status.code, 3, status.stdout);
  const json = JSON.parse(status.stdout) as { running: boolean; probes: Array<{ id: string; detail: string }> };
  assert.equal(json.running, false);
  assert.match(json.probes.find((p) => p.id === 'identity')!.detail, /another process/);
  const stopWhileAbsent = await home.cli(['stop', '--timeout', '1']);
  assert.equal(stopWhileAbsent.code, 0);
  assert.match(stopWhileAbsent.stdout, /not running/);
  const pid = await home.start();
  assert.notEqual(pid, foreign.pid);
  assert.equal((await home.cli(['stop'])).code, 0);
  assert.ok(isAlive(foreign.pid!), 'the foreign process was never signalled');
  assert.equal(foreign.signalCode, null);
});

test('a corrupt PID file reads as not running, and start replaces it', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  for (const garbage of ['', '{not json', '12345', '{"kind":"something-else","pid":1}']) {
    writeFileSync(home.paths().pidFile, garbage);
    const status = await home.cli(['status', '--deep', '--json']);
    assert.equal(status.code, 3, `for ${JSON.stringify(garbage)}: ${status.stdout}`);
    const probe = (JSON.parse(status.stdout) as { probes: Array<{ id: string; ok: boolean; detail: string }> }).probes.find((p) => p.id === 'pid-file')!;
    assert.equal(probe.ok, false);
    assert.match(probe.detail, /unreadable/);
  }
  const pid = await home.start();
  assert.equal((JSON.parse((await home.cli(['status', '--json'])).stdout) as { pid: number }).pid, pid);
});
