// Planned and unplanned exits differ (issue 11, item 3): only a planned stop (the control endpoint,
// the planned-stop marker, Ctrl+C in the terminal of a foreground run) exits 0. A stray signal
// drains just the same but exits 128 + its number, which service managers revive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, TestHome, collect, eventually, isAlive, workerPid } from './harness.js';

const lastExit = (home: TestHome): Record<string, unknown> | undefined => home.lifecycle().filter((e) => e.event === 'exit').at(-1);

test('a stray SIGTERM to a detached monitor drains it and exits 143; `gatehouse stop` exits 0', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const first = await home.start();
  const worker = workerPid(home);
  process.kill(first, 'SIGTERM');
  await eventually('the monitor to exit', () => !isAlive(first) && !isAlive(worker));
  assert.deepEqual([lastExit(home)?.pid, lastExit(home)?.code], [first, 143], 'not 0: a service manager must bring it back');
  const events = home.lifecycle().map((e) => e.event);
  assert.ok(events.includes('drain_begin') && events.includes('drain_end'), `drained all the same: ${events.join(', ')}`);
  assert.equal(home.lifecycle().find((e) => e.event === 'stop')?.reason, 'signal SIGTERM');

  const second = await home.start();
  const stop = await home.cli(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.deepEqual([lastExit(home)?.pid, lastExit(home)?.code], [second, 0], 'a planned stop exits 0');
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  test(`run in the foreground without a terminal: ${signal} drains and exits ${code}`, async (t) => {
    const home = new TestHome();
    t.after(() => home.cleanup());
    home.writeConfig({});
    const run = home.spawnCli(['run']);
    const done = collect(run, 60_000);
    await eventually('the gateway to be running', () => { const s = home.state(); return s.kind === 'ok' && s.value.state === 'running'; });
    const worker = workerPid(home);
    run.kill(signal);
    const result = await done;
    assert.equal(result.code, code, result.stderr);
    await eventually('the worker to exit', () => !isAlive(worker));
    assert.equal(home.lifecycle().find((e) => e.event === 'stop')?.reason, `signal ${signal}`);
    assert.ok(home.lifecycle().some((e) => e.event === 'drain_end'), 'drained');
    assert.deepEqual([lastExit(home)?.event, lastExit(home)?.code], ['exit', code]);
  });
}

const noScript = spawnSync('script', ['--version']).status === 0 ? false : 'util-linux `script` (a pseudo-terminal) is not installed';

test('Ctrl+C in the terminal of a foreground run is a planned stop: drained, exit 0', { skip: process.platform === 'win32' ? 'POSIX pseudo-terminal' : noScript }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
  // script(1) runs the gateway on a pseudo-terminal; the ^C written to it becomes the terminal's SIGINT.
  // `exec`: script runs the command through $SHELL -c, and where that is dash (SHELL unset, as in CI)
  // the shell stays in between, dies of the same SIGINT, and script reports 130 for it.
  const term = spawn('script', ['-qfec', `exec ${quote(process.execPath)} ${quote(CLI)} run`, '/dev/null'], { env: home.env(), stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => { if (term.exitCode === null) term.kill('SIGKILL'); });
  const done = collect(term, 60_000);
  await eventually('the gateway to be running', () => { const s = home.state(); return s.kind === 'ok' && s.value.state === 'running'; });
  assert.equal(home.lifecycle().find((e) => e.event === 'start')?.tty, true, 'it runs on a terminal');
  term.stdin.write('\x03');
  const result = await done;
  assert.equal(result.code, 0, result.stdout);
  assert.equal(home.lifecycle().find((e) => e.event === 'stop')?.reason, 'signal SIGINT');
  assert.deepEqual([lastExit(home)?.event, lastExit(home)?.code], ['exit', 0]);
});
