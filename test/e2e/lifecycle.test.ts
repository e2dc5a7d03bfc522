// start / status / send / stop / run, end to end with real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, TestHome, collect, eventually, healthz, isAlive, workerPid } from './harness.js';

test('start answers, status tells the truth, send --wait replies, stop drains and exits 0', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const pid = await home.start();
  assert.ok(isAlive(pid));

  const health = await healthz(home.apiUrl());
  assert.equal(health.status, 200);
  assert.equal(health.body.pid, pid);
  assert.equal(health.body.ok, true);

  const status = await home.cli(['status', '--json']);
  assert.equal(status.code, 0, status.stderr);
  const json = JSON.parse(status.stdout) as Record<string, unknown>;
  assert.equal(json.running, true);
  assert.equal(json.pid, pid);
  assert.equal(json.state, 'running');
  assert.equal(json.profile, 'default');
  assert.match(String(json.instance), /^gh_/);
  assert.match(String(json.startedAt), /^\d{4}-/);
  assert.equal((json.api as { url: string }).url, home.apiUrl());
  const service = json.service as { kind: unknown; installed: unknown; enabled: unknown };
  assert.deepEqual([service.kind, service.installed, service.enabled], [null, false, false], 'no autostart in a fresh home');

  const sent = await home.cli(['send', 'chat-1', 'hello there', '--wait']);
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(sent.stdout.trim(), 'echo: hello there');

  const stop = await home.cli(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(!isAlive(pid), 'the monitor is gone after stop');
  const after = await home.cli(['status', '--json']);
  assert.equal(after.code, 3);
  assert.equal((JSON.parse(after.stdout) as { running: boolean }).running, false);

  const events = home.lifecycle().map((e) => e.event);
  for (const expected of ['start', 'ready', 'drain_begin', 'drain_end', 'stop', 'exit']) assert.ok(events.includes(expected), `lifecycle has ${expected}: ${events.join(',')}`);
  const start = home.lifecycle().find((e) => e.event === 'start')!;
  assert.equal(start.detached, true);
  assert.ok(Array.isArray(start.argv));
});

test('status --deep lists every probe and passes them all while running', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  const deep = await home.cli(['status', '--deep', '--json']);
  assert.equal(deep.code, 0, deep.stderr);
  const probes = (JSON.parse(deep.stdout) as { probes: Array<{ id: string; ok: boolean; detail: string }> }).probes;
  const ids = probes.map((p) => p.id);
  for (const id of ['pid-file', 'control', 'identity', 'os-liveness', 'worker', 'state-file', 'lifecycle']) assert.ok(ids.includes(id), `probe ${id}`);
  assert.deepEqual(probes.filter((p) => !p.ok), []);
  assert.match(probes.find((p) => p.id === 'control')!.detail, /answered in [\d.]+ ms/);
  const human = await home.cli(['status', '--deep']);
  assert.match(human.stdout, /\[PASS\] control/);
});

test('a started gateway survives SIGKILL of the process group that started it', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  // A shell in its own process group runs `start`, then lingers like a terminal would.
  const shell = spawn('/bin/sh', ['-c', `"${process.execPath}" "${CLI}" start && echo STARTED && sleep 600`], {
    env: home.env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  shell.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
  await eventually('start inside the group', () => out.includes('STARTED'), 60_000);
  const pid = Number(/pid (\d+)/.exec(out)?.[1]);
  process.kill(-shell.pid!, 'SIGKILL');
  await eventually('the group to die', () => shell.exitCode !== null || shell.signalCode !== null);
  const health = await healthz(home.apiUrl());
  assert.equal(health.status, 200);
  assert.equal(health.body.pid, pid);
  assert.equal((await home.cli(['status'])).code, 0);
});

test('run in the foreground drains on a signal and prints readable log lines', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const run = home.spawnCli(['run']);
  const done = collect(run, 60_000);
  await eventually('the gateway to be running', () => home.state().kind === 'ok' && (home.state() as { value: { state: string } }).value.state === 'running');
  const worker = workerPid(home);
  run.kill('SIGINT'); // no terminal: not a planned stop (exit 130, see planned-exit.test.ts)
  const result = await done;
  assert.equal(result.signal, null);
  await eventually('the worker to exit', () => !isAlive(worker));
  assert.equal(home.lifecycle().at(-1)?.event, 'exit');
  assert.match(result.stderr, /gateway ready/);
});

test('logs -n prints the last lines; logs -f follows new ones', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  const last = await home.cli(['logs', '-n', '2']);
  assert.equal(last.code, 0);
  assert.equal(last.stdout.trim().split('\n').length, 2);
  const raw = await home.cli(['logs', '-n', '1', '--raw']);
  assert.equal(typeof (JSON.parse(raw.stdout) as { msg: unknown }).msg, 'string');

  const follow = home.spawnCli(['logs', '-f', '-n', '0']);
  let seen = '';
  follow.stdout!.setEncoding('utf8').on('data', (c: string) => { seen += c; });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const stop = await home.cli(['stop']);
  assert.equal(stop.code, 0);
  await eventually('logs -f to show the stop', () => seen.includes('monitor exiting'));
  follow.kill('SIGTERM');
});

test('a gateway log past 10 MiB becomes gateway.log.1 at the new monitor\'s first line, kept whole', async (t) => {
  const { mkdirSync, writeFileSync, statSync, readFileSync } = await import('node:fs');
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  mkdirSync(home.paths().logDir, { recursive: true });
  const old = `${'{"level":30,"time":1,"msg":"old life"}\n'.repeat(300_000)}`;
  writeFileSync(home.paths().gatewayLog, old);
  await home.start();
  assert.equal(readFileSync(`${home.paths().gatewayLog}.1`, 'utf8'), old, 'the old log is kept whole');
  assert.ok(statSync(home.paths().gatewayLog).size < 1024 * 1024);
  assert.match(readFileSync(home.paths().gatewayLog, 'utf8'), /gateway ready/);
});

test('start --json and stop --json print one object each on stdout', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const start = await home.cli(['start', '--json']);
  assert.equal(start.code, 0, start.stderr);
  const started = JSON.parse(start.stdout) as { ok: boolean; pid: number; apiUrl: string; detachedHow: string };
  assert.equal(started.ok, true);
  assert.ok(isAlive(started.pid));
  assert.equal(started.apiUrl, home.apiUrl());
  assert.equal(started.detachedHow, 'setsid');
  const stop = await home.cli(['stop', '--json']);
  const stopped = JSON.parse(stop.stdout) as { ok: boolean; wasRunning: boolean; pid: number; steps: string[] };
  assert.deepEqual([stopped.ok, stopped.wasRunning, stopped.pid], [true, true, started.pid]);
  assert.deepEqual(stopped.steps, ['asked to drain over the control endpoint']);
});
