// Graceful stop without signals: a detached gateway (no terminal) ignores console control events
// (Ctrl+C, Ctrl+Break) sent to its hidden console, so only the control pipe or the planned-stop
// marker stops it, with a drain. First, with a plain process, proof that such events are delivered
// here at all (Node's default for an unhandled Ctrl+Break is to end the process).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { win32 } from '../../src/platform/win32.js';
import { spawnDetachedWin32 } from '../../src/platform/win32-spawn.js';
import * as k32 from '../../src/platform/win32-kernel32.js';
import { killProcessTree } from '../../src/runtime/process-tree.js';
import { FIXTURES, WIN32_MODULE, nodeSnippet, readLine, skipUnlessWin32, tempDir, waitForExit } from './win32-helpers.js';
import { gatewayHome, http, lifecycleEvents, readJson, runCli } from './gateway-helpers.js';

const STEP_TIMEOUT_MS = 60_000;
/** After the events were sent, how long a process that would die of them is given to do so. */
const SETTLE_MS = 2_000;

interface SendResult { attached: boolean; breakSent: boolean; ctrlCSent: boolean; error: number; sendError: number }

async function sendConsoleEvents(targetPid: number): Promise<SendResult> {
  const dir = tempDir('console-event');
  const out = join(dir, 'out.log');
  const fd = openSync(out, 'a');
  // Detached, so that the sender has a console of its own to leave; output to a file (see job tests).
  const sender = spawn(process.execPath, [join(FIXTURES, 'console-event.js'), String(targetPid)], { detached: true, stdio: ['ignore', fd, fd], windowsHide: true });
  closeSync(fd);
  assert.equal(await waitForExit(sender, STEP_TIMEOUT_MS), 0, readFileSync(out, 'utf8'));
  const line = readFileSync(out, 'utf8').split(/\r?\n/).find((l) => l.startsWith('{')) ?? assert.fail(`no result: ${readFileSync(out, 'utf8')}`);
  return JSON.parse(line) as SendResult;
}

test('a detached gateway ignores Ctrl+C and Ctrl+Break in its console; a plain process dies of them', { skip: skipUnlessWin32, timeout: 240_000 }, async (t) => {
  // The control: a process with its own hidden console, as spawnDetachedWin32 makes, and no handler.
  const dir = tempDir('console-plain');
  const plain = spawnDetachedWin32(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { env: process.env, cwd: dir, logFile: join(dir, 'plain.log') });
  const handle = k32.kernel32().OpenProcess(k32.SYNCHRONIZE | k32.PROCESS_QUERY_LIMITED_INFORMATION, 0, plain.pid);
  let delivered: boolean;
  try {
    const sent = await sendConsoleEvents(plain.pid);
    if (!sent.attached || !sent.breakSent) {
      t.skip(`this Windows (Wine?) cannot send console events to another console: AttachConsole ${sent.attached} (error ${sent.error}), GenerateConsoleCtrlEvent ${sent.breakSent} (error ${sent.sendError})`);
      return;
    }
    delivered = k32.kernel32().WaitForSingleObject(handle, STEP_TIMEOUT_MS) === k32.WAIT_OBJECT_0;
  } finally {
    k32.kernel32().CloseHandle(handle);
    if (win32.matchesIdentity(plain)) win32.signal(plain.pid, 'SIGKILL');
  }
  if (!delivered) {
    t.skip('console control events are not delivered here (a plain process survived Ctrl+Break): nothing to absorb');
    return;
  }

  const { home, profileDir } = gatewayHome('gw-console', { api: { port: 0 } });
  let monitor: { pid: number; startTime: number; instance: string } | null = null;
  try {
    const started = await runCli(home, ['start', '--json'], STEP_TIMEOUT_MS);
    assert.equal(started.code, 0, started.stdout + started.stderr);
    monitor = readJson<{ pid: number; startTime: number; instance: string }>(join(profileDir, 'gatehouse.pid'));
    const worker = readJson<{ worker: { pid: number; startTime: number } }>(join(profileDir, 'state.json')).worker;
    for (const pid of [monitor.pid, worker.pid]) {
      const sent = await sendConsoleEvents(pid);
      assert.ok(sent.attached && sent.breakSent && sent.ctrlCSent, `events sent to the console of pid ${pid}: ${JSON.stringify(sent)}`);
    }
    await sleep(SETTLE_MS);
    assert.equal(win32.matchesIdentity(monitor), true, 'the monitor survived Ctrl+C and Ctrl+Break');
    assert.equal(win32.matchesIdentity(worker), true, 'so did the worker');
    const apiUrl = readJson<{ api: { url: string } }>(join(profileDir, 'state.json')).api.url;
    assert.equal((await http('GET', `${apiUrl}/healthz`)).status, 200);
    const events = lifecycleEvents(profileDir).filter((e) => e.instance === monitor?.instance).map((e) => e.event);
    assert.ok(!events.includes('drain_begin') && !events.includes('worker_exit'), `no stop, no worker exit: ${events.join(', ')}`);
    const stop = await runCli(home, ['stop'], STEP_TIMEOUT_MS);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    monitor = null;
  } finally {
    if (monitor !== null && win32.matchesIdentity(monitor)) killProcessTree(monitor, 'SIGKILL');
  }
});

test('the monitor stops on console events only with a terminal; absorbing sets the handlers Windows and Node need', { skip: skipUnlessWin32, timeout: 60_000 }, async () => {
  assert.deepEqual(win32.stopSignals(false), ['SIGINT', 'SIGBREAK', 'SIGHUP'], 'a foreground run keeps Ctrl+C');
  assert.deepEqual(win32.stopSignals(true), [], 'no terminal: stop through the pipe or the marker');
  assert.equal(win32.restartSignal, null);
  const child = nodeSnippet(`
    const { win32 } = await import(${JSON.stringify(WIN32_MODULE)});
    const before = ['SIGINT', 'SIGBREAK', 'SIGHUP'].map((s) => process.listenerCount(s));
    const ok = win32.absorbConsoleSignals();
    const after = ['SIGINT', 'SIGBREAK', 'SIGHUP'].map((s) => process.listenerCount(s));
    console.log('result ' + JSON.stringify({ ok, before, after }));`);
  const line = await readLine(child, /^result /, STEP_TIMEOUT_MS);
  assert.equal(await waitForExit(child, STEP_TIMEOUT_MS), 0);
  const result = JSON.parse(line.slice('result '.length)) as { ok: boolean; before: number[]; after: number[] };
  assert.equal(result.ok, true, 'SetConsoleCtrlHandler(NULL, TRUE) succeeded');
  assert.deepEqual(result.before, [0, 0, 0]);
  assert.deepEqual(result.after, [1, 1, 1], 'Node no longer ends the process on Ctrl+C, Ctrl+Break or close');
});
