// spawnDetachedWin32 against a real KILL_ON_JOB_CLOSE job: with breakaway allowed the child survives
// the job's close; when the job forbids breakaway the spawn falls back, says so, and the child dies
// with the job. The witness (always in the job) proves the job was closed and enforced before we
// look at the child, so no assertion depends on timing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { win32 } from '../../src/platform/win32.js';
import type { Win32Spawn } from '../../src/platform/win32-spawn.js';
import * as k32 from '../../src/platform/win32-kernel32.js';
import { FIXTURES, skipUnlessWin32, tempDir, waitFor, waitForExit, waitForFile } from './win32-helpers.js';

const STEP_TIMEOUT_MS = 30_000;

interface JobParentResult {
  limitsSet: boolean;
  assigned: boolean;
  assignError: number;
  sleeper: Win32Spawn;
  witness: Win32Spawn;
  nodeDetachedPid: number | null;
}

async function runJobParent(mode: 'allow-breakaway' | 'forbid-breakaway') {
  const k = k32.kernel32();
  const dir = tempDir(mode);
  const resultFile = join(dir, 'result.json');
  const logFile = join(dir, 'children.log');
  // Detached: a non-detached child would already sit in libuv's job, and Wine 8 has no nested jobs.
  // Its output goes to a file, not NUL: under Wine 8 a process that loaded koffi and whose stdout and
  // stderr are NUL ends with 0xC0000409 at exit.
  const parentLog = join(dir, 'job-parent.log');
  const fd = openSync(parentLog, 'a');
  const parent = spawn(process.execPath, [join(FIXTURES, 'job-parent.js'), resultFile, mode, logFile], { detached: true, stdio: ['ignore', fd, fd], windowsHide: true });
  closeSync(fd);
  const result = JSON.parse(await waitForFile(resultFile, STEP_TIMEOUT_MS)) as JobParentResult;
  assert.ok(result.limitsSet && result.assigned, `the job parent could not put itself in a job (Win32 error ${result.assignError})`);
  // Handles opened while the parent still holds the job: the waits below cannot miss a death.
  const open = (pid: number) => {
    const h = k.OpenProcess(k32.SYNCHRONIZE | k32.PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
    assert.notEqual(h, 0, `OpenProcess(${pid}) failed: Win32 error ${k.GetLastError()}`);
    return h;
  };
  const handles = { sleeper: open(result.sleeper.pid), witness: open(result.witness.pid) };
  assert.ok(win32.matchesIdentity(result.sleeper), 'the sleeper is alive and has the start time spawnDetachedWin32 reported');
  writeFileSync(`${resultFile}.go`, '');
  assert.equal(await waitForExit(parent, STEP_TIMEOUT_MS), 0, `job parent failed: ${readFileSync(parentLog, 'utf8')}`);
  assert.equal(k.WaitForSingleObject(handles.witness, STEP_TIMEOUT_MS), k32.WAIT_OBJECT_0, 'the witness, inside the job, was killed when the job closed');
  return { k, result, handles, logFile };
}

test('spawnDetachedWin32 breaks away from a KILL_ON_JOB_CLOSE job that allows it, and survives its close', { skip: skipUnlessWin32, timeout: 120_000 }, async () => {
  const { k, result, handles, logFile } = await runJobParent('allow-breakaway');
  try {
    assert.equal(result.sleeper.breakaway, true);
    assert.equal(result.sleeper.detachedHow, 'breakaway');
    assert.equal(result.witness.breakaway, false, 'breakaway: false keeps the child in the job');
    assert.equal(k.WaitForSingleObject(handles.sleeper, 0), k32.WAIT_TIMEOUT, 'the sleeper outlived the job that killed the witness');
    assert.ok(win32.isAlive(result.sleeper.pid));
    assert.ok(win32.matchesIdentity(result.sleeper));
    // Its stdout went to the log file given to spawnDetachedWin32.
    await waitFor('the sleeper to write its log', STEP_TIMEOUT_MS, () => (readFileSync(logFile, 'utf8').includes(`sleeper up ${result.sleeper.pid}`) ? true : undefined));
    // The pitfall that makes the FFI necessary: Node's `detached: true` child stayed in the job and died.
    if (result.nodeDetachedPid !== null) {
      const h = k.OpenProcess(k32.SYNCHRONIZE, 0, result.nodeDetachedPid);
      assert.ok(h === 0 || k.WaitForSingleObject(h, STEP_TIMEOUT_MS) === k32.WAIT_OBJECT_0, "Node's detached child died with the job");
      if (h !== 0) k.CloseHandle(h);
    }
  } finally {
    if (win32.matchesIdentity(result.sleeper)) win32.signal(result.sleeper.pid, 'SIGKILL');
    k.CloseHandle(handles.sleeper);
    k.CloseHandle(handles.witness);
  }
});

test('spawnDetachedWin32 falls back when the job forbids breakaway, reports it, and the child dies with the job', { skip: skipUnlessWin32, timeout: 120_000 }, async () => {
  const { k, result, handles } = await runJobParent('forbid-breakaway');
  try {
    assert.equal(result.sleeper.breakaway, false);
    assert.equal(result.sleeper.detachedHow, 'breakaway-refused');
    assert.equal(k.WaitForSingleObject(handles.sleeper, STEP_TIMEOUT_MS), k32.WAIT_OBJECT_0, 'the sleeper died with the job');
    assert.equal(win32.isAlive(result.sleeper.pid) && win32.matchesIdentity(result.sleeper), false);
  } finally {
    if (win32.matchesIdentity(result.sleeper)) win32.signal(result.sleeper.pid, 'SIGKILL');
    k.CloseHandle(handles.sleeper);
    k.CloseHandle(handles.witness);
  }
});
