// The real gateway under Windows (node.exe under Wine in CI): the seed system's headline bug and its
// fix. An app inside a KILL_ON_JOB_CLOSE job runs `gatehouse start` and exits. With breakaway
// allowed the gateway survives, answers, passes `status --deep`, and drains on a stop through the
// control pipe; with breakaway forbidden the spawn falls back, the lifecycle log, the gateway log
// and `status --deep` say it may die with that job, and it does. The witness (always in the job)
// proves the job was closed and enforced before we look, so nothing depends on timing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseSync } from 'node:sqlite';
import { win32 } from '../../src/platform/win32.js';
import type { Win32Spawn } from '../../src/platform/win32-spawn.js';
import * as k32 from '../../src/platform/win32-kernel32.js';
import { killProcessTree } from '../../src/runtime/process-tree.js';
import { FIXTURES, skipUnlessWin32, waitFor, waitForExit, waitForFile } from './win32-helpers.js';
import { gatewayHome, http, jsonIn, lifecycleEvents, readJson, runCli } from './gateway-helpers.js';

const STEP_TIMEOUT_MS = 90_000;
const CLI_TIMEOUT_MS = 90_000;
/**
 * The echo agent takes this long, so a stop finds the message in flight: long enough that it still
 * is when `stop` (a node.exe started under Wine, which took more than 4 s on a loaded machine) reaches the gateway; the drain waits for it either way.
 */
const AGENT_DELAY_MS = 15_000;

interface ParentResult {
  assigned: boolean;
  assignError: number;
  witness: Win32Spawn;
  cli: Win32Spawn;
  cliExited: boolean;
  output: string;
}
interface StartJson { ok: boolean; pid: number; apiUrl: string; detachedHow?: string; mayDieWithCaller?: boolean; message: string }
interface PidRecord { pid: number; startTime: number; instance: string }
interface StateJson { pid: number; api: { url: string } | null; worker: { pid: number; startTime: number } | null; standby?: { pid: number } | null }
interface Probe { id: string; ok: boolean; detail: string }
interface StatusJson { running: boolean; pid: number | null; state: string; probes?: Probe[] }

async function startInsideJob(mode: 'allow-breakaway' | 'forbid-breakaway', home: string) {
  const k = k32.kernel32();
  const resultFile = join(home, 'parent-result.json');
  const parentLog = join(home, 'job-parent.log');
  // Detached: a non-detached child would sit in libuv's job, and Wine 8 has no nested jobs. Output to
  // a file, never NUL: a koffi-loading node.exe with NUL stdio exits 0xC0000409 under Wine 8.
  const fd = openSync(parentLog, 'a');
  const parent = spawn(process.execPath, [join(FIXTURES, 'job-start-parent.js'), resultFile, mode, home], { detached: true, stdio: ['ignore', fd, fd], windowsHide: true });
  closeSync(fd);
  const result = JSON.parse(await waitForFile(resultFile, STEP_TIMEOUT_MS)) as ParentResult;
  assert.ok(result.assigned, `the parent could not put itself in a job (Win32 error ${result.assignError}); log: ${readFileSync(parentLog, 'utf8')}`);
  assert.ok(result.cliExited, `gatehouse start did not exit; output: ${result.output}`);
  const start = jsonIn<StartJson>(result.output);
  assert.equal(start.ok, true, `gatehouse start failed inside the job: ${result.output}`);
  const witness = k.OpenProcess(k32.SYNCHRONIZE | k32.PROCESS_QUERY_LIMITED_INFORMATION, 0, result.witness.pid);
  assert.notEqual(witness, 0, 'the witness is alive while the parent holds the job');
  const close = async (): Promise<void> => {
    writeFileSync(`${resultFile}.go`, '');
    assert.equal(await waitForExit(parent, STEP_TIMEOUT_MS), 0, `the job parent failed: ${readFileSync(parentLog, 'utf8')}`);
    assert.equal(k.WaitForSingleObject(witness, STEP_TIMEOUT_MS), k32.WAIT_OBJECT_0, 'the witness, inside the job, was killed when the job closed');
    k.CloseHandle(witness);
  };
  return { start, close };
}

function openForWait(pid: number): number {
  const k = k32.kernel32();
  const handle = k.OpenProcess(k32.SYNCHRONIZE | k32.PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
  assert.notEqual(handle, 0, `OpenProcess(${pid}) failed: Win32 error ${k.GetLastError()}`);
  return handle;
}

async function status(home: string, deep: boolean): Promise<{ code: number | null; json: StatusJson }> {
  const r = await runCli(home, ['status', '--json', ...(deep ? ['--deep'] : [])], CLI_TIMEOUT_MS);
  return { code: r.code, json: jsonIn<StatusJson>(r.stdout) };
}

function cleanup(identity: { pid: number; startTime: number } | null): void {
  if (identity !== null && win32.matchesIdentity(identity)) killProcessTree(identity, 'SIGKILL');
}

test('breakaway allowed: the gateway outlives the job of the app that started it, answers, and a stop through the control pipe drains', { skip: skipUnlessWin32, timeout: 300_000 }, async () => {
  const { home, profileDir } = gatewayHome('gw-allow', { api: { port: 0 }, agent: { kind: 'echo', delayMs: AGENT_DELAY_MS } });
  let monitor: PidRecord | null = null;
  try {
    const { start, close } = await startInsideJob('allow-breakaway', home);
    assert.equal(start.detachedHow, 'breakaway', start.message);
    assert.equal(start.mayDieWithCaller, false);
    monitor = readJson<PidRecord>(join(profileDir, 'gatehouse.pid'));
    assert.equal(monitor.pid, start.pid);
    const detached = lifecycleEvents(profileDir).find((e) => e.event === 'detached');
    assert.equal(detached?.how, 'breakaway', 'the lifecycle log records how the gateway was detached');
    await close();

    // Liveness and start-time identity of the real gateway, after the job is gone.
    assert.equal(win32.isAlive(monitor.pid), true, 'the gateway survived the job');
    assert.equal(win32.matchesIdentity(monitor), true, 'the same process: pid and start time as recorded');
    assert.equal(win32.matchesIdentity({ pid: monitor.pid, startTime: monitor.startTime + 1 }), false, 'another start time is another process');
    const state = readJson<StateJson>(join(profileDir, 'state.json'));
    const apiUrl = state.api?.url ?? assert.fail('no api url in state.json');
    const worker = state.worker ?? assert.fail('no worker in state.json');
    assert.equal(win32.matchesIdentity(worker), true, 'the worker is alive too');
    const health = await http('GET', `${apiUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((health.body as { pid: number }).pid, monitor.pid);

    const deep = await status(home, true);
    assert.equal(deep.code, 0, JSON.stringify(deep.json));
    assert.equal(deep.json.running, true);
    const failed = (deep.json.probes ?? []).filter((p) => !p.ok);
    assert.deepEqual(failed, [], 'every deep probe passes');
    assert.equal(deep.json.probes?.find((p) => p.id === 'job')?.ok, true, 'the job probe is there and passes');

    // A stop through the control pipe drains the message in flight.
    const token = readFileSync(join(profileDir, 'token'), 'utf8').trim();
    const sent = await http('POST', `${apiUrl}/v1/sessions/win-drain/messages`, { token, body: { text: 'hold on' } });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const messageId = (sent.body as { messageId: string }).messageId;
    const inFlightBy = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const session = await http('GET', `${apiUrl}/v1/sessions/win-drain`, { token });
      const status = (session.body as { messages?: Array<{ id: string; status: string }> }).messages?.find((m) => m.id === messageId)?.status;
      if (status === 'processing') break;
      assert.ok(Date.now() < inFlightBy && (status === 'queued' || status === undefined), `the message never was in flight (status ${status})`);
      await sleep(50);
    }
    const stop = await runCli(home, ['stop', '--json'], CLI_TIMEOUT_MS);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);
    const stopJson = jsonIn<{ ok: boolean; steps: string[] }>(stop.stdout);
    assert.deepEqual(stopJson.steps, ['asked to drain over the control endpoint']);
    assert.equal(win32.isAlive(monitor.pid), false, 'the monitor is gone once stop returned');
    await waitFor('the worker to be gone', STEP_TIMEOUT_MS, () => (win32.matchesIdentity(worker) ? undefined : true));
    const events = lifecycleEvents(profileDir).filter((e) => e.instance === monitor?.instance);
    const begin = events.find((e) => e.event === 'drain_begin');
    const end = events.find((e) => e.event === 'drain_end');
    assert.ok(begin !== undefined && end !== undefined, `drain_begin and drain_end in ${JSON.stringify(events.map((e) => e.event))}`);
    assert.equal(end.inFlight, 1, 'the drain found the message in flight');
    assert.equal(Number(end.completed) + Number(end.resumePending), 1);
    const db = new DatabaseSync(join(profileDir, 'sessions.db'), { readOnly: true });
    try {
      const row = db.prepare('SELECT status FROM messages WHERE id = ?').get(messageId) as { status: string } | undefined;
      assert.ok(row?.status === 'done' || row?.status === 'resume_pending', `the message is answered or resume_pending, not ${row?.status}`);
      if (row.status === 'done') {
        const reply = db.prepare('SELECT text FROM messages WHERE reply_to = ?').get(messageId) as { text: string } | undefined;
        assert.equal(reply?.text, 'echo: hold on');
      }
    } finally {
      db.close();
    }
    monitor = null;
  } finally {
    cleanup(monitor);
  }
});

test('breakaway forbidden: the spawn falls back, the logs and status --deep say it may die with the job, and it does', { skip: skipUnlessWin32, timeout: 300_000 }, async () => {
  const { home, profileDir } = gatewayHome('gw-forbid', { api: { port: 0 } });
  let monitor: PidRecord | null = null;
  try {
    const { start, close } = await startInsideJob('forbid-breakaway', home);
    assert.equal(start.detachedHow, 'breakaway-refused', start.message);
    assert.equal(start.mayDieWithCaller, true);
    assert.match(start.message, /may die/);
    monitor = readJson<PidRecord>(join(profileDir, 'gatehouse.pid'));
    const events = lifecycleEvents(profileDir);
    const detached = events.find((e) => e.event === 'detached');
    assert.equal(detached?.how, 'breakaway-refused');
    assert.equal(detached?.mayDieWithCaller, true);
    assert.equal(events.find((e) => e.event === 'start')?.job, 'in-job', 'the monitor saw itself in the job at start');
    assert.match(readFileSync(join(profileDir, 'logs', 'gateway.log'), 'utf8'), /may die when the app that started it exits/);

    const deep = await status(home, true);
    assert.equal(deep.code, 0, 'it runs, for now');
    const job = deep.json.probes?.find((p) => p.id === 'job') ?? assert.fail('no job probe');
    assert.equal(job.ok, false);
    assert.match(job.detail, /may die/);

    const handle = openForWait(monitor.pid);
    try {
      await close();
      assert.equal(k32.kernel32().WaitForSingleObject(handle, STEP_TIMEOUT_MS), k32.WAIT_OBJECT_0, 'the gateway died with the job');
    } finally {
      k32.kernel32().CloseHandle(handle);
    }
    const after = await status(home, false);
    assert.equal(after.code, 3, JSON.stringify(after.json));
    assert.equal(after.json.state, 'crashed');
    monitor = null;
  } finally {
    cleanup(monitor);
  }
});

test('taskkill ends a fingerprinted gateway tree, and a wrong start time is never signalled', { skip: skipUnlessWin32, timeout: 300_000 }, async () => {
  const { home, profileDir } = gatewayHome('gw-kill', { api: { port: 0 } });
  let monitor: PidRecord | null = null;
  try {
    const started = await runCli(home, ['start', '--json'], CLI_TIMEOUT_MS);
    assert.equal(started.code, 0, started.stdout + started.stderr);
    monitor = readJson<PidRecord>(join(profileDir, 'gatehouse.pid'));
    const state = readJson<StateJson>(join(profileDir, 'state.json'));
    const worker = state.worker ?? assert.fail('no worker');
    // The warm standby (on by default) is the other worker below the monitor, once it was spawned.
    const workers = [worker.pid, ...(state.standby ? [state.standby.pid] : [])].sort();
    // The tree: the worker, and the console host of each hidden console (conhost.exe, under Wine too).
    const names = new Map((k32.kernel32().listProcesses() ?? []).map((p) => [p.th32ProcessID, p.szExeFile.toLowerCase()]));
    const tree = win32.descendants(monitor.pid);
    assert.ok(tree.some((d) => d.pid === worker.pid), `the worker is a descendant: ${JSON.stringify(tree.map((d) => [d.pid, names.get(d.pid)]))}`);
    assert.deepEqual(tree.filter((d) => names.get(d.pid) === 'node.exe').map((d) => d.pid).sort(), workers, 'the worker and its standby are the node.exe below the monitor');
    // A pid whose start time differs is another process (pid reuse): neither it nor its tree is touched.
    assert.equal(killProcessTree({ pid: monitor.pid, startTime: monitor.startTime - 1 }, 'SIGKILL'), 0);
    assert.equal(win32.matchesIdentity(monitor), true, 'a wrong start time: the monitor was not signalled');
    assert.equal(win32.matchesIdentity(worker), true, 'nor its worker');
    const handle = openForWait(monitor.pid);
    try {
      // Deepest first; a console host's end also ends the processes of its console, so the count
      // of processes signalled by us varies: what matters is that the whole tree is gone.
      assert.ok(killProcessTree(monitor, 'SIGKILL') >= 1);
      assert.equal(k32.kernel32().WaitForSingleObject(handle, STEP_TIMEOUT_MS), k32.WAIT_OBJECT_0);
      await waitFor('the worker to be gone', STEP_TIMEOUT_MS, () => (win32.matchesIdentity(worker) ? undefined : true));
    } finally {
      k32.kernel32().CloseHandle(handle);
    }
    assert.equal(win32.isAlive(monitor.pid), false);
    const after = await status(home, false);
    assert.equal(after.code, 3);
    monitor = null;
  } finally {
    cleanup(monitor);
  }
});
